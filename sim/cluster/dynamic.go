package cluster

import (
	"context"
	"fmt"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Dynamic is a client-go dynamic client over the store: the same objects,
// as *unstructured.Unstructured, addressed by resource (as Argo's traffic
// routers address VirtualServices, TrafficSplits, …). Each call goes
// through the store's controller-runtime client, so writes get the same
// resourceVersion, generation, uid and creationTimestamp stand-ins and the
// same change notifications. A resource is known by the kind of an object
// stored under it, by a CustomResourceDefinition the store holds (under
// its plural too), or by the scheme; a Get of an unknown resource is Not
// Found and its List is empty. Server-side apply is not supported.
func (s *Store) Dynamic() dynamic.Interface {
	return &dynamicClient{c: s.client, kind: func(gvr schema.GroupVersionResource) (schema.GroupVersionKind, bool) {
		if gvk, ok := s.tracker.table.byResource[gvr]; ok {
			return gvk, true
		}
		gvk, ok := s.schemeKinds()[gvr]
		return gvk, ok
	}, watch: func(gvr schema.GroupVersionResource, ns string, opts metav1.ListOptions) (watch.Interface, error) {
		return s.tracker.Watch(gvr, ns, opts)
	}}
}

// Dynamic is a client-go dynamic client over the scenario's client (so it
// sees the scenario's names, as every other read does); the server's REST
// mapping names each resource's kind. Watch and server-side apply are not
// supported.
func (r *Remote) Dynamic() dynamic.Interface {
	return &dynamicClient{c: r, kind: func(gvr schema.GroupVersionResource) (schema.GroupVersionKind, bool) {
		gvk, err := r.RESTMapper().KindFor(gvr)
		return gvk, err == nil
	}, watch: func(schema.GroupVersionResource, string, metav1.ListOptions) (watch.Interface, error) {
		return nil, fmt.Errorf("envtest backend: dynamic client: watch: not supported yet")
	}}
}

// dynamicClient serves dynamic.Interface through a controller-runtime
// client: kind names the kind served at a resource.
type dynamicClient struct {
	c     client.Client
	kind  func(schema.GroupVersionResource) (schema.GroupVersionKind, bool)
	watch func(schema.GroupVersionResource, string, metav1.ListOptions) (watch.Interface, error)
}

func (d *dynamicClient) Resource(gvr schema.GroupVersionResource) dynamic.NamespaceableResourceInterface {
	return &dynamicResource{d: d, gvr: gvr}
}

type dynamicResource struct {
	d   *dynamicClient
	gvr schema.GroupVersionResource
	ns  string
}

func (r *dynamicResource) Namespace(ns string) dynamic.ResourceInterface {
	return &dynamicResource{d: r.d, gvr: r.gvr, ns: ns}
}

// kind is the kind served at the resource, if known.
func (r *dynamicResource) kind() (schema.GroupVersionKind, bool) { return r.d.kind(r.gvr) }

// object is an empty object of the resource's kind named name.
func (r *dynamicResource) object(name string) (*unstructured.Unstructured, error) {
	gvk, ok := r.kind()
	if !ok {
		return nil, apierrors.NewNotFound(r.gvr.GroupResource(), name)
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(r.ns)
	u.SetName(name)
	return u, nil
}

func noSubresource(subresources []string) error {
	if len(subresources) > 0 && !(len(subresources) == 1 && subresources[0] == "status") {
		return fmt.Errorf("fake backend: dynamic client: subresource %v: not supported yet", subresources)
	}
	return nil
}

// prepare checks a written object and puts it in the resource's namespace.
func (r *dynamicResource) prepare(obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	out := obj.DeepCopy()
	if out.GetKind() == "" || out.GetAPIVersion() == "" {
		return nil, apierrors.NewBadRequest("the object has no apiVersion or kind")
	}
	if r.ns != "" {
		if out.GetNamespace() != "" && out.GetNamespace() != r.ns {
			return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
		out.SetNamespace(r.ns)
	}
	return out, nil
}

func (r *dynamicResource) Create(ctx context.Context, obj *unstructured.Unstructured, _ metav1.CreateOptions, subresources ...string) (*unstructured.Unstructured, error) {
	if len(subresources) > 0 {
		return nil, noSubresource([]string{"create"})
	}
	out, err := r.prepare(obj)
	if err != nil {
		return nil, err
	}
	if err := r.d.c.Create(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

func (r *dynamicResource) Update(ctx context.Context, obj *unstructured.Unstructured, _ metav1.UpdateOptions, subresources ...string) (*unstructured.Unstructured, error) {
	if err := noSubresource(subresources); err != nil {
		return nil, err
	}
	out, err := r.prepare(obj)
	if err != nil {
		return nil, err
	}
	if len(subresources) == 1 {
		err = r.d.c.Status().Update(ctx, out)
	} else {
		err = r.d.c.Update(ctx, out)
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (r *dynamicResource) UpdateStatus(ctx context.Context, obj *unstructured.Unstructured, opts metav1.UpdateOptions) (*unstructured.Unstructured, error) {
	return r.Update(ctx, obj, opts, "status")
}

func (r *dynamicResource) Delete(ctx context.Context, name string, _ metav1.DeleteOptions, subresources ...string) error {
	if len(subresources) > 0 {
		return noSubresource([]string{"delete"})
	}
	u, err := r.object(name)
	if err != nil {
		return err
	}
	return r.d.c.Delete(ctx, u)
}

func (r *dynamicResource) DeleteCollection(ctx context.Context, opts metav1.DeleteOptions, listOpts metav1.ListOptions) error {
	list, err := r.List(ctx, listOpts)
	if err != nil {
		return err
	}
	for i := range list.Items {
		if err := r.d.c.Delete(ctx, &list.Items[i]); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
	}
	return nil
}

func (r *dynamicResource) Get(ctx context.Context, name string, _ metav1.GetOptions, subresources ...string) (*unstructured.Unstructured, error) {
	if err := noSubresource(subresources); err != nil {
		return nil, err
	}
	u, err := r.object(name)
	if err != nil {
		return nil, err
	}
	if err := r.d.c.Get(ctx, client.ObjectKey{Namespace: r.ns, Name: name}, u); err != nil {
		return nil, err
	}
	return u, nil
}

func (r *dynamicResource) List(ctx context.Context, opts metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	list := &unstructured.UnstructuredList{}
	gvk, ok := r.kind()
	if !ok {
		list.SetAPIVersion(r.gvr.GroupVersion().String())
		list.SetKind("List")
		list.Items = []unstructured.Unstructured{}
		return list, nil
	}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	var lo []client.ListOption
	if r.ns != "" {
		lo = append(lo, client.InNamespace(r.ns))
	}
	if opts.LabelSelector != "" {
		sel, err := labels.Parse(opts.LabelSelector)
		if err != nil {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid label selector %q: %v", opts.LabelSelector, err))
		}
		lo = append(lo, client.MatchingLabelsSelector{Selector: sel})
	}
	if opts.FieldSelector != "" {
		return nil, fmt.Errorf("fake backend: dynamic client: field selectors: not supported yet")
	}
	if err := r.d.c.List(ctx, list, lo...); err != nil {
		return nil, err
	}
	return list, nil
}

func (r *dynamicResource) Watch(ctx context.Context, opts metav1.ListOptions) (watch.Interface, error) {
	return r.d.watch(r.gvr, r.ns, opts)
}

func (r *dynamicResource) Patch(ctx context.Context, name string, pt types.PatchType, data []byte, _ metav1.PatchOptions, subresources ...string) (*unstructured.Unstructured, error) {
	if err := noSubresource(subresources); err != nil {
		return nil, err
	}
	u, err := r.object(name)
	if err != nil {
		return nil, err
	}
	patch := client.RawPatch(pt, data)
	if len(subresources) == 1 {
		err = r.d.c.Status().Patch(ctx, u, patch)
	} else {
		err = r.d.c.Patch(ctx, u, patch)
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

func (r *dynamicResource) Apply(context.Context, string, *unstructured.Unstructured, metav1.ApplyOptions, ...string) (*unstructured.Unstructured, error) {
	return nil, fmt.Errorf("fake backend: server-side apply: not supported yet")
}

func (r *dynamicResource) ApplyStatus(context.Context, string, *unstructured.Unstructured, metav1.ApplyOptions) (*unstructured.Unstructured, error) {
	return nil, fmt.Errorf("fake backend: server-side apply: not supported yet")
}

// schemeKinds maps each resource of the scheme's object kinds to its kind
// (built once; the first kind in sorted order where two guess the same
// resource).
func (s *Store) schemeKinds() map[schema.GroupVersionResource]schema.GroupVersionKind {
	if s.byResource != nil {
		return s.byResource
	}
	var gvks []schema.GroupVersionKind
	for gvk := range s.scheme.AllKnownTypes() {
		if gvk.Version != runtime.APIVersionInternal && !strings.HasSuffix(gvk.Kind, "List") {
			gvks = append(gvks, gvk)
		}
	}
	sort.Slice(gvks, func(i, j int) bool { return gvks[i].String() < gvks[j].String() })
	s.byResource = map[schema.GroupVersionResource]schema.GroupVersionKind{}
	for _, gvk := range gvks {
		if _, dup := s.byResource[gvrOf(gvk)]; !dup {
			s.byResource[gvrOf(gvk)] = gvk
		}
	}
	return s.byResource
}
