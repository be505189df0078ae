package engine

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	istioutil "github.com/argoproj/argo-rollouts/utils/istio"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	dynamicfake "k8s.io/client-go/dynamic/fake"
)

// Router objects (Istio VirtualServices and DestinationRules) live behind
// the dynamic client Argo's routers use, as unstructured objects. A real API
// server serves every version of a CRD; Argo asks for its configured
// version (v1alpha3 by default), so the oracle stores them at that version.

// dynamicKinds maps the router kinds the oracle runs to their resources.
func dynamicKinds() map[schema.GroupKind]schema.GroupVersionResource {
	vs, dr := istioutil.GetIstioVirtualServiceGVR(), istioutil.GetIstioDestinationRuleGVR()
	return map[schema.GroupKind]schema.GroupVersionResource{
		{Group: vs.Group, Kind: "VirtualService"}:  vs,
		{Group: dr.Group, Kind: "DestinationRule"}: dr,
		// The other routers Argo drives through its dynamic client, at the
		// versions Argo v1.10.2 uses by default.
		{Group: "traefik.io", Kind: "TraefikService"}:      gv("traefik.io", "v1alpha1", "traefikservices"),
		{Group: "getambassador.io", Kind: "Mapping"}:       gv("getambassador.io", "v2", "mappings"),
		{Group: "apisix.apache.org", Kind: "ApisixRoute"}:  gv("apisix.apache.org", "v2", "apisixroutes"),
		{Group: "appmesh.k8s.aws", Kind: "VirtualService"}: gv("appmesh.k8s.aws", "v1beta2", "virtualservices"),
		{Group: "appmesh.k8s.aws", Kind: "VirtualRouter"}:  gv("appmesh.k8s.aws", "v1beta2", "virtualrouters"),
		{Group: "appmesh.k8s.aws", Kind: "VirtualNode"}:    gv("appmesh.k8s.aws", "v1beta2", "virtualnodes"),
	}
}

// dynamicClient is the one dynamic client of the run, made on first use
// (objects are applied before the controllers are built).
func (e *Engine) dynamicClient() (*dynamicfake.FakeDynamicClient, error) {
	if e.dyn != nil {
		return e.dyn, nil
	}
	dscheme := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(dscheme); err != nil {
		return nil, fmt.Errorf("dynamic scheme: %w", err)
	}
	lists := map[schema.GroupVersionResource]string{
		gv("elbv2.k8s.aws", "v1beta1", "targetgroupbindings"): "TargetGroupBindingList",
	}
	for gk, gvr := range dynamicKinds() {
		lists[gvr] = gk.Kind + "List"
	}
	e.dyn = dynamicfake.NewSimpleDynamicClientWithCustomListKinds(dscheme, lists)
	return e.dyn, nil
}

// decodeDynamic decodes a plan object of a router kind as unstructured.
func decodeDynamic(raw json.RawMessage, gvk schema.GroupVersionKind) (runtime.Object, bool, error) {
	gvr, ok := dynamicKinds()[gvk.GroupKind()]
	if !ok {
		return nil, false, nil
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(raw); err != nil {
		return nil, true, fmt.Errorf("%s: %w", gvk.Kind, err)
	}
	u.SetAPIVersion(gvr.GroupVersion().String())
	return u, true, nil
}

// applyDynamic creates or replaces a router object through the dynamic
// client, as kubectl apply would.
func (e *Engine) applyDynamic(u *unstructured.Unstructured) error {
	gvr, ok := dynamicKinds()[u.GroupVersionKind().GroupKind()]
	if !ok {
		return fmt.Errorf("%s is not supported by the oracle", u.GroupVersionKind())
	}
	dyn, err := e.dynamicClient()
	if err != nil {
		return err
	}
	ns := u.GetNamespace()
	if ns == "" {
		ns = "default"
		u.SetNamespace(ns)
	}
	ctx := context.Background()
	res := dyn.Resource(gvr).Namespace(ns)
	cur, err := res.Get(ctx, u.GetName(), metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		u.SetUID(types.UID(fmt.Sprintf("00000000-0000-0000-0000-%012d", e.nextUID())))
		u.SetCreationTimestamp(metav1.NewTime(e.nowSeconds()))
		_, err = res.Create(ctx, u, metav1.CreateOptions{})
	case err == nil:
		u.SetResourceVersion(cur.GetResourceVersion())
		u.SetUID(cur.GetUID())
		u.SetCreationTimestamp(cur.GetCreationTimestamp())
		_, err = res.Update(ctx, u, metav1.UpdateOptions{})
	}
	return err
}
