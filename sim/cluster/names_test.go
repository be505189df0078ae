package cluster

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The fake backend refuses on create what the API server's metadata
// validation refuses, with the server's Invalid error.
func TestCreateRefusesNamesTheAPIServerRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  client.Object
		want string // "" = accepted
	}{
		{"a valid ReplicaSet", rs("web-1", 1), ""},
		{"an uppercase ReplicaSet name", rs("Web", 1), `ReplicaSet.apps "Web" is invalid: metadata.name: Invalid value: "Web": a lowercase RFC 1123 subdomain must consist of`},
		{"dots in a ReplicaSet name (a subdomain)", rs("web.v1", 1), ""},
		{"dots in a Service name (a DNS-1123 label)", &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web.v1", Namespace: "ns"}},
			`Service "web.v1" is invalid: metadata.name: Invalid value: "web.v1": must not contain dots`},
		{"an uppercase Service name", &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "Web", Namespace: "ns"}},
			`Service "Web" is invalid: metadata.name: Invalid value: "Web": a lowercase RFC 1123 label must consist of`},
		{"a Service name of 64 characters", &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: strings.Repeat("a", 64), Namespace: "ns"}},
			"must be no more than 63 characters"},
		{"namespace Prod", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "Prod"}},
			`ConfigMap "c" is invalid: metadata.namespace: Invalid value: "Prod": a lowercase RFC 1123 label must consist of`},
		{"a Namespace named Prod", &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "Prod"}},
			`Namespace "Prod" is invalid: metadata.name: Invalid value: "Prod": a lowercase RFC 1123 label must consist of`},
		{"a custom resource of 254 characters", uobj(vsGVK, "ns", strings.Repeat("v", 254), 1, nil),
			`VirtualService.networking.istio.io "` + strings.Repeat("v", 254) + `" is invalid: metadata.name: Invalid value: "` + strings.Repeat("v", 254) + `": must be no more than 253 characters`},
		{"a bad label value", &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns", Labels: map[string]string{"a": "b c"}}},
			`metadata.labels: Invalid value: "b c"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestStore(nil)
			err := s.Client().Create(context.Background(), tc.obj)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an Invalid error containing %q", err, tc.want)
			}
		})
	}
}
