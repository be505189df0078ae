package runner

import (
	"context"
	"errors"
	"fmt"

	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/api/manifests"
	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/sim/cluster"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
)

// serverCheck sends every manifest document, as written, to the envtest
// server (dry run, strict field validation), so that what a real API
// server rejects — a field of the wrong type, an unknown field, a CRD
// schema or CEL rule — is a scenario input error with the server's own
// message, at the document's file and line (the field's line when the
// server names a field).
func serverCheck(paths []string, ns string) error {
	// What the loader and the fake backend refuse first, with their
	// messages: both backends classify input alike.
	// (A document the loader cannot decode goes to the server as written:
	// its verdict is the server's own.)
	objs, loadErr := manifests.Load(paths...)
	if loadErr == nil {
		manifests.DefaultNamespaces(objs, ns)
		if err := format.MetadataErrors(objs); err != nil {
			return err
		}
	}
	docs, err := manifests.Documents(paths...)
	if err != nil {
		return err
	}
	srv, err := cluster.SharedEnvtest()
	if err != nil {
		return fmt.Errorf("envtest backend: %w", err)
	}
	if err := installKinds(srv, objs); err != nil {
		return err
	}
	v, err := srv.NewCluster(nil, nil)
	if err != nil {
		return fmt.Errorf("envtest backend: %w", err)
	}
	var errs []error
	for _, d := range docs {
		if d.IsCRD() {
			continue // installed above
		}
		err := v.DryRunCreate(context.Background(), d.JSON, ns)
		if err == nil || (loadErr != nil && meta.IsNoMatchError(err)) {
			// A kind the server does not serve yet: when the loader
			// failed, its kinds were not installed; the loader's error
			// says what is wrong.
			continue
		}
		var se *apierrors.StatusError
		if errors.As(err, &se) && se.ErrStatus.Details != nil && len(se.ErrStatus.Details.Causes) > 0 {
			what := se.ErrStatus.Details.Kind + " " + se.ErrStatus.Details.Name
			for _, c := range se.ErrStatus.Details.Causes {
				if c.Field == "<nil>" && len(se.ErrStatus.Details.Causes) > 1 {
					continue // "some validation rules were not checked because …": says nothing more
				}
				errs = append(errs, d.ErrorAt(c.Field, fmt.Sprintf("the API server rejected %s: %s", what, c.Message)))
			}
			continue
		}
		errs = append(errs, d.ErrorAt("", "the API server rejected it: "+err.Error()))
	}
	return errors.Join(errs...)
}

// installKinds installs the manifests' CRDs on the server and a permissive
// CRD for every other kind outside the scheme they use (docs/envtest.md).
func installKinds(srv *cluster.EnvtestServer, objs []manifests.Object) error {
	var errs []error
	for _, o := range objs {
		if !o.IsUnstructured() {
			continue
		}
		if o.Obj.GetObjectKind().GroupVersionKind().GroupKind() == api.CRDGroupKind {
			if _, err := srv.InstallCRD(o.Obj); err != nil {
				errs = append(errs, o.ErrorAt("", "the API server rejected CustomResourceDefinition "+o.Obj.GetName()+": "+err.Error()))
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for _, o := range objs {
		if o.IsUnstructured() {
			if err := srv.EnsureKind(o.Obj.GetObjectKind().GroupVersionKind()); err != nil {
				errs = append(errs, o.ErrorAt("", err.Error()))
			}
		}
	}
	return errors.Join(errs...)
}
