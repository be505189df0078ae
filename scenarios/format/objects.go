package format

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/sim/cluster"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// SplitRef splits "namespace/name" (or "name", in defNS).
func SplitRef(ref, defNS string) (string, string) {
	if i := strings.IndexByte(ref, '/'); i >= 0 {
		return ref[:i], ref[i+1:]
	}
	return defNS, ref
}

// LoadObjects loads manifests at paths as given, gives the objects without
// a namespace ns, refuses what the API server refuses (MetadataErrors), and
// adds the objects the simulation does not model to *notModelled.
func LoadObjects(paths []string, ns string, notModelled *[]report.NotModelled) ([]client.Object, error) {
	objs, err := manifests.Load(paths...)
	if err != nil {
		return nil, err
	}
	manifests.DefaultNamespaces(objs, ns)
	if err := MetadataErrors(objs); err != nil {
		return nil, err
	}
	*notModelled = AddNotModelled(*notModelled, objs)
	out := make([]client.Object, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.Obj)
	}
	return out, nil
}

// ReadFile reads a file the scenario tools load (a gate policy), with the
// loader's error.
func ReadFile(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("cannot read: %v", errors.Unwrap(err))}
	}
	return data, nil
}

// AddNotModelled adds the objects of objs that the simulation does not
// model (manifests.NotModelled) to list, once each, sorted by kind,
// namespace, name and source.
func AddNotModelled(list []report.NotModelled, objs []manifests.Object) []report.NotModelled {
	seen := map[report.NotModelled]bool{}
	for _, n := range list {
		seen[n] = true
	}
	for _, o := range manifests.NotModelled(objs) {
		gvk := o.Obj.GetObjectKind().GroupVersionKind()
		n := report.NotModelled{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: o.Obj.GetNamespace(),
			Name: o.Obj.GetName(), File: o.Source.File, Line: o.Source.Line}
		if !seen[n] {
			seen[n] = true
			list = append(list, n)
		}
	}
	sort.SliceStable(list, func(i, j int) bool {
		a, b := list[i], list[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.APIVersion != b.APIVersion {
			return a.APIVersion < b.APIVersion
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return list
}

// MetadataErrors checks the objects' metadata as the API server checks it
// on create (cluster.MetadataErrors: names, namespaces, labels, …), and a
// negative spec.replicas (cluster.SpecErrors), so that
// both backends refuse the same objects with the server's message, at the
// object's file and line.
func MetadataErrors(objs []manifests.Object) error {
	var errs []error
	for _, o := range objs {
		gk := o.Obj.GetObjectKind().GroupVersionKind().GroupKind()
		fes := cluster.MetadataErrors(gk, o.Obj, manifests.Namespaced(o, objs))
		for _, fe := range append(fes, cluster.SpecErrors(o.Obj)...) {
			errs = append(errs, o.ErrorAt(fe.Field, fmt.Sprintf("the API server rejected %s %s: %s", gk.Kind, o.Obj.GetName(), fe.ErrorBody())))
		}
	}
	return errors.Join(errs...)
}
