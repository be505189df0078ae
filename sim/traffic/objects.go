package traffic

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// GetObject reads a router object of the environment's namespace at the
// first of gvks the cluster holds it at; nil (no error) when it does not
// exist at any: a reader then routes as the objects that do exist say.
func GetObject(ctx context.Context, env Env, name string, gvks ...schema.GroupVersionKind) (*unstructured.Unstructured, error) {
	for _, gvk := range gvks {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		err := env.Client().Get(ctx, types.NamespacedName{Namespace: env.Namespace(), Name: name}, u)
		switch {
		case err == nil:
			return u, nil
		case apierrors.IsNotFound(err) || meta.IsNoMatchError(err):
			continue
		default:
			return nil, fmt.Errorf("get %s %s: %w", gvk.Kind, name, err)
		}
	}
	return nil, nil
}
