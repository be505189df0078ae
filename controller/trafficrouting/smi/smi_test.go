package smi_test

import (
	"context"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	"github.com/rollsim/rollsim/controller/trafficrouting/smi"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func rollout() *v1alpha1.Rollout {
	ro := &v1alpha1.Rollout{ObjectMeta: metav1.ObjectMeta{Name: "ro", Namespace: "ns", UID: "uid-1"}}
	ro.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{CanaryService: "canary", StableService: "stable",
		TrafficRouting: &v1alpha1.RolloutTrafficRouting{SMI: &v1alpha1.SMITrafficRouting{RootService: "root"}}}
	return ro
}

func get(t *testing.T, c client.Client, version, name string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(smi.GVK(version))
	if err := c.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: name}, u); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSetWeightCreatesThenPatchesTheTrafficSplit(t *testing.T) {
	for _, tc := range []struct {
		version             string
		canary, stable, stb any
	}{{"", "10", "90", "70"}, {"v1alpha2", int64(10), int64(90), int64(70)}, {"v1alpha3", int64(10), int64(90), int64(70)}} {
		c := fake.NewClientBuilder().WithScheme(api.Scheme).Build()
		var notes []string
		ro := rollout()
		rt, err := smi.New(trafficrouting.Deps{Rollout: ro, Client: c, SMIAPIVersion: tc.version,
			Note: func(kind, name, verb, reason, detail string) { notes = append(notes, kind+"/"+name+" "+reason) }})
		if err != nil {
			t.Fatal(err)
		}
		if err := rt.SetWeight(context.Background(), 10); err != nil {
			t.Fatal(err)
		}
		v := tc.version
		if v == "" {
			v = "v1alpha1"
		}
		ts := get(t, c, v, "ro")
		if refs := ts.GetOwnerReferences(); len(refs) != 1 || refs[0].UID != "uid-1" || refs[0].Controller == nil || !*refs[0].Controller {
			t.Errorf("%s: owner refs %+v", v, refs)
		}
		svc, _, _ := unstructured.NestedString(ts.Object, "spec", "service")
		bs, _, _ := unstructured.NestedSlice(ts.Object, "spec", "backends")
		if svc != "root" || len(bs) != 2 || bs[0].(map[string]any)["service"] != "canary" || bs[0].(map[string]any)["weight"] != tc.canary ||
			bs[1].(map[string]any)["service"] != "stable" || bs[1].(map[string]any)["weight"] != tc.stable {
			t.Errorf("%s: spec %v", v, ts.Object["spec"])
		}
		if len(notes) != 1 || notes[0] != "trafficsplit/ro TrafficSplitCreated" {
			t.Errorf("%s: notes %v", v, notes)
		}
		extra := v1alpha1.WeightDestination{ServiceName: "exp", Weight: 20}
		if err := rt.SetWeight(context.Background(), 10, extra); err != nil {
			t.Fatal(err)
		}
		bs, _, _ = unstructured.NestedSlice(get(t, c, v, "ro").Object, "spec", "backends")
		if len(bs) != 3 || bs[1].(map[string]any)["service"] != "exp" || bs[2].(map[string]any)["weight"] != tc.stb {
			t.Errorf("%s: with an additional destination: %v", v, bs)
		}
	}
}

func TestForeignTrafficSplitIsArgosError(t *testing.T) {
	ts := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"service": "root"}}}
	ts.SetGroupVersionKind(smi.GVK("v1alpha1"))
	ts.SetNamespace("ns")
	ts.SetName("ro")
	c := fake.NewClientBuilder().WithScheme(api.Scheme).WithObjects(ts).Build()
	rt, _ := smi.New(trafficrouting.Deps{Rollout: rollout(), Client: c, Note: func(_, _, _, _, _ string) {}})
	if err := rt.SetWeight(context.Background(), 10); err == nil || err.Error() != "Rollout does not own TrafficSplit `ro`" {
		t.Errorf("err = %v", err)
	}
}

func TestUnknownAPIVersion(t *testing.T) {
	_, err := smi.New(trafficrouting.Deps{Rollout: rollout(), SMIAPIVersion: "v1"})
	if err == nil || !strings.Contains(err.Error(), "Unsupported TrafficSplit API version `v1`") {
		t.Errorf("err = %v", err)
	}
}
