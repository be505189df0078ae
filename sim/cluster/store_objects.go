package cluster

import (
	"fmt"
	"sort"
	"strconv"
	"sync"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
)

// objects is the store's object table: what client-go's ObjectTracker
// (k8s.io/client-go/testing) keeps, with the same behaviour towards its
// callers — Get and List hand out deep copies, writes store a deep copy,
// lists are sorted by namespace and name and carry a per-resource
// resourceVersion, watchers get copies of added, modified and deleted
// objects — plus copy-free access for the store's own fast paths.
//
// Every object in the table belongs to the table and is never modified
// after it is stored: a write replaces the entry. So peek may hand out
// the stored object itself to code that only reads it (the fast client,
// the tracker's generation check, change notifications), and put may
// take ownership of an object the fast client built for it (sharing
// unchanged parts, e.g. the spec on a status write, with the entry it
// replaces).
type objects struct {
	scheme  runtime.ObjectTyper
	creater runtime.ObjectCreater
	decoder runtime.Decoder
	lock    sync.RWMutex
	byGVR   map[schema.GroupVersionResource]map[types.NamespacedName]storedObject
	// versions is the highest resourceVersion given to an object of each
	// resource (1 when none was stored), as client-go's tracker keeps it:
	// lists report it and watches start from it. The tracker above writes
	// the object's own metadata.resourceVersion.
	versions map[schema.GroupVersionResource]int64
	watchers map[schema.GroupVersionResource]map[string][]*watch.RaceFreeFakeWatcher
}

type storedObject struct {
	version int64
	obj     runtime.Object
}

func newObjects(scheme *runtime.Scheme, decoder runtime.Decoder) *objects {
	return &objects{
		scheme: scheme, creater: scheme, decoder: decoder,
		byGVR:    map[schema.GroupVersionResource]map[types.NamespacedName]storedObject{},
		versions: map[schema.GroupVersionResource]int64{},
		watchers: map[schema.GroupVersionResource]map[string][]*watch.RaceFreeFakeWatcher{},
	}
}

// peek returns the stored object itself: the caller must not modify it.
func (o *objects) peek(gvr schema.GroupVersionResource, ns, name string) (runtime.Object, bool) {
	o.lock.RLock()
	defer o.lock.RUnlock()
	so, ok := o.byGVR[gvr][types.NamespacedName{Namespace: ns, Name: name}]
	return so.obj, ok
}

// Get returns a deep copy of the stored object.
func (o *objects) Get(gvr schema.GroupVersionResource, ns, name string) (runtime.Object, error) {
	stored, ok := o.peek(gvr, ns, name)
	if !ok {
		return nil, apierrors.NewNotFound(gvr.GroupResource(), name)
	}
	obj := stored.DeepCopyObject()
	if status, ok := obj.(*metav1.Status); ok && status.Status != metav1.StatusSuccess {
		return nil, &apierrors.StatusError{ErrStatus: *status}
	}
	return obj, nil
}

// Add stores obj (each item of a list) under the resource its kind
// guesses, as client-go's tracker does.
func (o *objects) Add(obj runtime.Object) error {
	if meta.IsListType(obj) {
		items, err := meta.ExtractList(obj)
		if err != nil {
			return err
		}
		if errs := runtime.DecodeList(items, o.decoder); len(errs) > 0 {
			return errs[0]
		}
		for _, it := range items {
			if err := o.Add(it); err != nil {
				return err
			}
		}
		return nil
	}
	acc, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	gvks, _, err := o.scheme.ObjectKinds(obj)
	if err != nil {
		return err
	}
	if partial, ok := obj.(*metav1.PartialObjectMetadata); ok && len(partial.APIVersion) > 0 {
		gvks = []schema.GroupVersionKind{partial.GroupVersionKind()}
	}
	if len(gvks) == 0 {
		return fmt.Errorf("no registered kinds for %v", obj)
	}
	for _, gvk := range gvks {
		gvr, _ := meta.UnsafeGuessKindToResource(gvk)
		if gvr.Version == runtime.APIVersionInternal {
			gvr.Version = ""
		}
		if err := o.put(gvr, obj.DeepCopyObject(), acc.GetNamespace(), false); err != nil {
			return err
		}
	}
	return nil
}

// Create stores a deep copy of a new object.
func (o *objects) Create(gvr schema.GroupVersionResource, obj runtime.Object, ns string) error {
	return o.put(gvr, obj.DeepCopyObject(), ns, false)
}

// Update replaces the stored object with a deep copy of obj.
func (o *objects) Update(gvr schema.GroupVersionResource, obj runtime.Object, ns string) error {
	return o.put(gvr, obj.DeepCopyObject(), ns, true)
}

// put stores obj, which the table owns from now on (the caller must not
// modify it afterwards): a new object, or a replacement when replace.
func (o *objects) put(gvr schema.GroupVersionResource, obj runtime.Object, ns string, replace bool) error {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	if acc.GetNamespace() == "" {
		acc.SetNamespace(ns)
	}
	if ns != acc.GetNamespace() {
		return apierrors.NewBadRequest(fmt.Sprintf("request namespace does not match object namespace, request: %q object: %q", ns, acc.GetNamespace()))
	}
	o.lock.Lock()
	defer o.lock.Unlock()
	objs, ok := o.byGVR[gvr]
	if !ok {
		objs = map[types.NamespacedName]storedObject{}
		o.byGVR[gvr] = objs
	}
	version, ok := o.versions[gvr]
	if !ok {
		version = 1
	}
	version++
	key := types.NamespacedName{Namespace: acc.GetNamespace(), Name: acc.GetName()}
	_, exists := objs[key]
	switch {
	case exists && !replace:
		return apierrors.NewAlreadyExists(gvr.GroupResource(), acc.GetName())
	case !exists && replace:
		return apierrors.NewNotFound(gvr.GroupResource(), acc.GetName())
	}
	o.versions[gvr] = version
	objs[key] = storedObject{version: version, obj: obj}
	for _, w := range o.watches(gvr, ns) {
		if exists {
			w.Modify(obj.DeepCopyObject())
		} else {
			w.Add(obj.DeepCopyObject())
		}
	}
	return nil
}

// Delete removes the object.
func (o *objects) Delete(gvr schema.GroupVersionResource, ns, name string) error {
	o.lock.Lock()
	defer o.lock.Unlock()
	key := types.NamespacedName{Namespace: ns, Name: name}
	so, ok := o.byGVR[gvr][key]
	if !ok {
		return apierrors.NewNotFound(gvr.GroupResource(), name)
	}
	delete(o.byGVR[gvr], key)
	for _, w := range o.watches(gvr, ns) {
		w.Delete(so.obj.DeepCopyObject())
	}
	return nil
}

// sorted returns the stored objects of a resource in namespace ns (all
// namespaces when ""), sorted by namespace and name, that match sel (nil:
// all). The objects are the stored ones: read only.
func (o *objects) sorted(gvr schema.GroupVersionResource, ns string, sel labels.Selector) []storedObject {
	o.lock.RLock()
	defer o.lock.RUnlock()
	objs := o.byGVR[gvr]
	keys := make([]types.NamespacedName, 0, len(objs))
	for k := range objs {
		if ns == "" || k.Namespace == ns {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Namespace != keys[j].Namespace {
			return keys[i].Namespace < keys[j].Namespace
		}
		return keys[i].Name < keys[j].Name
	})
	out := make([]storedObject, 0, len(keys))
	for _, k := range keys {
		so := objs[k]
		if sel != nil {
			acc, err := meta.Accessor(so.obj)
			if err != nil || !sel.Matches(labels.Set(acc.GetLabels())) {
				continue
			}
		}
		out = append(out, so)
	}
	return out
}

// List returns a new list of gvk's list kind holding deep copies of the
// objects in ns that match sel (nil: all), with the resource's
// resourceVersion in its metadata.
func (o *objects) List(gvr schema.GroupVersionResource, gvk schema.GroupVersionKind, ns string, sel labels.Selector) (runtime.Object, error) {
	listGVK := gvk
	listGVK.Kind += "List"
	if listGVK.Version == "" {
		listGVK.Version = runtime.APIVersionInternal
	}
	list, err := o.creater.New(listGVK)
	if err != nil {
		return nil, err
	}
	if !meta.IsListType(list) {
		return nil, fmt.Errorf("%q is not a list type", listGVK.Kind)
	}
	if lm, err := meta.ListAccessor(list); err == nil {
		o.lock.RLock()
		v, ok := o.versions[gvr]
		o.lock.RUnlock()
		if !ok {
			v = 1
		}
		lm.SetResourceVersion(strconv.FormatInt(v, 10))
	}
	o.lock.RLock()
	_, known := o.byGVR[gvr]
	o.lock.RUnlock()
	if !known {
		// client-go's tracker leaves Items nil for a resource it never
		// stored, and empty (not nil) once it has.
		return list, nil
	}
	found := o.sorted(gvr, ns, sel)
	items := make([]runtime.Object, len(found))
	for i, so := range found {
		items[i] = so.obj.DeepCopyObject()
	}
	if err := meta.SetList(list, items); err != nil {
		return nil, err
	}
	return list, nil
}

// Watch starts a watch on a resource in ns (all namespaces when ""). With
// options it first delivers the existing objects newer than their
// resourceVersion, as client-go's tracker does.
func (o *objects) Watch(gvr schema.GroupVersionResource, ns string, opts ...metav1.ListOptions) (watch.Interface, error) {
	if len(opts) > 1 {
		return nil, fmt.Errorf("expected at most one list options argument, got %d", len(opts))
	}
	addExisting, from := false, int64(0)
	if len(opts) == 1 {
		addExisting = true
		if rv := opts[0].ResourceVersion; rv != "" {
			n, err := strconv.ParseInt(rv, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("invalid ResourceVersion %q in ListOptions, must be int64: %w", rv, err)
			}
			from = n
		}
	}
	var existing []storedObject
	if addExisting {
		existing = o.sorted(gvr, ns, nil)
	}
	o.lock.Lock()
	defer o.lock.Unlock()
	w := watch.NewRaceFreeFake()
	if o.watchers[gvr] == nil {
		o.watchers[gvr] = map[string][]*watch.RaceFreeFakeWatcher{}
	}
	o.watchers[gvr][ns] = append(o.watchers[gvr][ns], w)
	for _, so := range existing {
		if from < so.version {
			w.Add(so.obj.DeepCopyObject())
		}
	}
	return w, nil
}

// watches lists the watchers of gvr in ns and of all namespaces. Callers
// hold the lock.
func (o *objects) watches(gvr schema.GroupVersionResource, ns string) []*watch.RaceFreeFakeWatcher {
	byNS := o.watchers[gvr]
	if byNS == nil {
		return nil
	}
	out := append([]*watch.RaceFreeFakeWatcher(nil), byNS[ns]...)
	if ns != metav1.NamespaceAll {
		out = append(out, byNS[metav1.NamespaceAll]...)
	}
	return out
}
