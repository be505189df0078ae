package istio

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
)

func route(dests ...destination) map[string]any {
	var list []any
	for _, d := range dests {
		dest := map[string]any{"host": d.host}
		if d.subset != "" {
			dest["subset"] = d.subset
		}
		list = append(list, map[string]any{"destination": dest, "weight": d.weight})
	}
	return map[string]any{"route": list}
}

func TestWeightChangesAsArgoPatchesRoutes(t *testing.T) {
	host := targets{canarySvc: "canary", stableSvc: "stable"}
	cases := []struct {
		name       string
		t          targets
		dests      []destination
		weight     int64
		additional []v1alpha1.WeightDestination
		want       []weightChange
	}{
		{"host split, FQDN hosts", host, []destination{{host: "stable.ns.svc.cluster.local", weight: 100}, {host: "canary", weight: 0}}, 20, nil,
			[]weightChange{{kind: kindHTTP, dest: 0, weight: 80, host: "stable"}, {kind: kindHTTP, dest: 1, weight: 20, host: "canary"}}},
		{"unchanged weights are no change", host, []destination{{host: "stable", weight: 80}, {host: "canary", weight: 20}}, 20, nil, nil},
		{"an unknown destination is deleted", host, []destination{{host: "stable", weight: 90}, {host: "canary", weight: 0}, {host: "legacy", weight: 10}}, 0, nil,
			[]weightChange{{kind: kindHTTP, dest: 0, weight: 100, host: "stable"}, {kind: kindHTTP, dest: 2, weight: 0, host: "legacy", delete: true}}},
		{"subsets", targets{canarySubset: "canary", stableSubset: "stable"},
			[]destination{{host: "app", subset: "stable", weight: 100}, {host: "app", subset: "canary", weight: 0}}, 10, nil,
			[]weightChange{{kind: kindHTTP, dest: 0, weight: 90, host: "app"}, {kind: kindHTTP, dest: 1, weight: 10, host: "app"}}},
		{"an additional subset keeps its weight and reduces the stable's", targets{canarySubset: "canary", stableSubset: "stable", additionalSubsets: []string{"mirror"}},
			[]destination{{host: "app", subset: "stable", weight: 90}, {host: "app", subset: "canary", weight: 0}, {host: "app", subset: "mirror", weight: 10}}, 20, nil,
			[]weightChange{{kind: kindHTTP, dest: 0, weight: 70, host: "app"}, {kind: kindHTTP, dest: 1, weight: 20, host: "app"}}},
		{"an experiment Service is appended with its weight", host, []destination{{host: "stable", weight: 100}, {host: "canary", weight: 0}}, 10,
			[]v1alpha1.WeightDestination{{ServiceName: "exp-svc", Weight: 20}},
			[]weightChange{{kind: kindHTTP, dest: 0, weight: 70, host: "stable"}, {kind: kindHTTP, dest: 1, weight: 10, host: "canary"}, {kind: kindHTTP, dest: 2, weight: 20, host: "exp-svc"}}},
		{"stable weight never negative", host, []destination{{host: "stable", weight: 100}, {host: "canary", weight: 0}}, 90,
			[]v1alpha1.WeightDestination{{ServiceName: "exp-svc", Weight: 20}},
			[]weightChange{{kind: kindHTTP, dest: 0, weight: 0, host: "stable"}, {kind: kindHTTP, dest: 1, weight: 90, host: "canary"}, {kind: kindHTTP, dest: 2, weight: 20, host: "exp-svc"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.t.weightChanges(kindHTTP, 0, tc.dests, tc.weight, tc.additional)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestApplyDeletesAndAppendsInOrder(t *testing.T) {
	r := route(destination{host: "stable", weight: 90}, destination{host: "legacy", weight: 10}, destination{host: "canary", weight: 0})
	lists := map[string][]any{kindHTTP: {r}}
	changes := host().weightChanges(kindHTTP, 0, routeDestinations(r), 30, []v1alpha1.WeightDestination{{ServiceName: "exp", Weight: 5}})
	if err := apply(changes, lists); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range routeDestinations(lists[kindHTTP][0]) {
		got = append(got, d.host+"="+strconv.FormatInt(d.weight, 10))
	}
	// Argo applies its patches by the indexes computed before the deletion:
	// once legacy is gone the canary's patch (index 2) is past the end and
	// appends a second canary destination, as Argo's patchVirtualService
	// does; the experiment's lands after it.
	if want := "stable=65 canary=0 canary=30 exp=5"; strings.Join(got, " ") != want {
		t.Errorf("destinations %v, want %s", got, want)
	}
}

func host() targets { return targets{canarySvc: "canary", stableSvc: "stable"} }

func TestRouteIndexesMatchArgo(t *testing.T) {
	http := []any{map[string]any{"name": "a"}, map[string]any{"name": ""}, map[string]any{"name": "b"}}
	if got, _ := httpIndexes(nil, http); !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("no names: the first unnamed route, got %v", got)
	}
	if got, _ := httpIndexes([]string{"b", "a"}, http); !reflect.DeepEqual(got, []int{2, 0}) {
		t.Errorf("named routes in the rollout's order, got %v", got)
	}
	if _, err := httpIndexes([]string{"missing"}, http); err == nil || err.Error() != "HTTP Route 'missing' is not found in the defined Virtual Service." {
		t.Errorf("missing route error: %v", err)
	}
	tls := []any{
		map[string]any{"match": []any{map[string]any{"port": int64(443), "sniHosts": []any{"a.example.com", "b.example.com"}}}},
		map[string]any{"match": []any{map[string]any{"port": int64(443), "sniHosts": []any{"c.example.com"}}, map[string]any{"port": int64(8443)}}},
		map[string]any{"match": []any{map[string]any{"port": int64(443), "sniHosts": []any{"b.example.com", "a.example.com"}}}},
	}
	got, err := tlsIndexes([]v1alpha1.TLSRoute{{Port: 443, SNIHosts: []string{"a.example.com", "b.example.com"}}}, tls)
	if err != nil || !reflect.DeepEqual(got, []int{0, 2}) {
		t.Errorf("TLS routes by port and SNI set (a route with two ports never matches): %v %v", got, err)
	}
	if _, err := tlsIndexes([]v1alpha1.TLSRoute{{Port: 8443}}, tls); err == nil {
		t.Error("a TLS route that matches nothing must be Argo's error")
	}
	tcp := []any{map[string]any{"match": []any{map[string]any{"port": int64(3306)}}}, map[string]any{"match": []any{map[string]any{"port": int64(5432)}}}}
	if got, err := tcpIndexes([]v1alpha1.TCPRoute{{Port: 5432}}, tcp); err != nil || !reflect.DeepEqual(got, []int{1}) {
		t.Errorf("TCP route by port: %v %v", got, err)
	}
}

func TestDestinationRuleSubsetsGetTheHashes(t *testing.T) {
	spec := &v1alpha1.IstioDestinationRule{Name: "dr", CanarySubsetName: "canary", StableSubsetName: "stable"}
	subsets := []any{
		map[string]any{"name": "stable", "labels": map[string]any{"app": "x"}},
		map[string]any{"name": "canary", "labels": map[string]any{"app": "x", "rollouts-pod-template-hash": "old"}},
		map[string]any{"name": "legacy", "labels": map[string]any{"app": "x"}},
	}
	got := withHashes(subsets, spec, "c1", "s1", []v1alpha1.WeightDestination{{ServiceName: "exp", PodTemplateHash: "e1"}})
	want := []any{
		map[string]any{"name": "stable", "labels": map[string]any{"app": "x", "rollouts-pod-template-hash": "s1"}},
		map[string]any{"name": "canary", "labels": map[string]any{"app": "x", "rollouts-pod-template-hash": "c1"}},
		map[string]any{"name": "exp", "labels": map[string]any{"rollouts-pod-template-hash": "e1"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("subsets\n%v\nwant\n%v", got, want)
	}
}

func TestSplitNameAndShortHost(t *testing.T) {
	for in, want := range map[string][2]string{"vs": {"", "vs"}, "vs.prod": {"prod", "vs"}, "my.vs.prod.cluster.local": {"prod", "my.vs"}} {
		ns, name := SplitName(in)
		if ns != want[0] || name != want[1] {
			t.Errorf("SplitName(%q) = %q, %q", in, ns, name)
		}
	}
	if ShortHost("svc.ns.svc.cluster.local") != "svc" || ShortHost("svc") != "svc" || ShortHost(".x") != "" {
		t.Error("ShortHost")
	}
}
