package traffic

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crfake "sigs.k8s.io/controller-runtime/pkg/client/fake"
)

const (
	ns       = "shop"
	stableH  = "h1111"
	canaryH  = "h2222"
	imageV1  = "registry.example/demo:v1"
	imageV2  = "registry.example/demo:v2"
	prefixNG = "nginx.ingress.kubernetes.io/"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func versionOf(image string) string { return image[strings.LastIndexByte(image, ':')+1:] }

// --- object builders (real upstream types) ---

type roOpt func(*v1alpha1.Rollout)

func rollout(name string, opts ...roOpt) *v1alpha1.Rollout {
	r := int32(5)
	ro := &v1alpha1.Rollout{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.RolloutSpec{
			Replicas: &r,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: imageV2}}},
			},
			Strategy: v1alpha1.RolloutStrategy{Canary: &v1alpha1.CanaryStrategy{}},
		},
		Status: v1alpha1.RolloutStatus{CurrentPodHash: canaryH, StableRS: stableH},
	}
	for _, o := range opts {
		o(ro)
	}
	return ro
}

func withServices(stable, canary string) roOpt {
	return func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.StableService = stable
		ro.Spec.Strategy.Canary.CanaryService = canary
	}
}

// withNginx: the seed's nginx routing with canary-by-header X-Canary: "true".
func withNginx(stableIngress string) roOpt {
	return func(ro *v1alpha1.Rollout) {
		ro.Spec.Strategy.Canary.TrafficRouting = &v1alpha1.RolloutTrafficRouting{Nginx: &v1alpha1.NginxTrafficRouting{
			StableIngress:                stableIngress,
			AdditionalIngressAnnotations: map[string]string{"canary-by-header": "X-Canary", "canary-by-header-value": "true"},
		}}
	}
}

func service(name string, selector map[string]string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec:       corev1.ServiceSpec{Selector: selector, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
	}
}

func sel(app, hash string) map[string]string {
	m := map[string]string{"app": app}
	if hash != "" {
		m[v1alpha1.DefaultRolloutUniqueLabelKey] = hash
	}
	return m
}

func replicaSet(app, hash, image string, n int32) *appsv1.ReplicaSet {
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: app + "-" + hash, Namespace: ns, Labels: sel(app, hash)},
		Spec: appsv1.ReplicaSetSpec{Replicas: &n, Selector: &metav1.LabelSelector{MatchLabels: sel(app, hash)},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel(app, hash)},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}}}},
	}
}

// pods are <rs>-<n>, as the simulated ReplicaSet controller names them.
func pods(app, hash, image string, ready bool, from, n int) []client.Object {
	var out []client.Object
	for i := from; i < from+n; i++ {
		st := corev1.ConditionFalse
		if ready {
			st = corev1.ConditionTrue
		}
		out = append(out, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%s-%d", app, hash, i), Namespace: ns, Labels: sel(app, hash)},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning,
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}},
		})
	}
	return out
}

func terminating(objs []client.Object) []client.Object {
	now := metav1.NewTime(t0)
	for _, o := range objs {
		o.SetDeletionTimestamp(&now)
		o.SetFinalizers([]string{"test/hold"})
	}
	return objs
}

func canaryIngress(name, backend string, ann map[string]string) *networkingv1.Ingress {
	pt := networkingv1.PathTypePrefix
	return &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Annotations: ann},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: "demo.example",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{
				Path: "/", PathType: &pt,
				Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: backend,
					Port: networkingv1.ServiceBackendPort{Name: "http"}}}}}}}}}},
	}
}

// nginxAnn is what the controller writes on the canary Ingress for the
// seed's rollout at weight w, plus extra.
func nginxAnn(w int, extra ...string) map[string]string {
	m := map[string]string{
		prefixNG + "canary":                 "true",
		prefixNG + "canary-weight":          fmt.Sprint(w),
		prefixNG + "canary-by-header":       "X-Canary",
		prefixNG + "canary-by-header-value": "true",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			delete(m, extra[i])
			continue
		}
		m[extra[i]] = extra[i+1]
	}
	return m
}

func fakeClient(t *testing.T, objs ...client.Object) client.Client {
	t.Helper()
	return crfake.NewClientBuilder().WithScheme(api.NewScheme()).WithObjects(objs...).Build()
}

func objects(groups ...[]client.Object) []client.Object {
	var out []client.Object
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func one(o client.Object) []client.Object { return []client.Object{o} }

// routeMap renders routes as "service/hash/version/role" → fraction;
// unserved routes as "service/503".
func routeMap(rs []Route) map[string]float64 {
	m := map[string]float64{}
	for _, r := range rs {
		k := r.Service + "/" + r.Hash + "/" + r.Version + "/" + r.Role
		if r.Unserved {
			k = r.Service + "/503"
		}
		m[k] += r.Fraction
	}
	return m
}

func sameRoutes(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	var sorted []string
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if math.Abs(got[k]-want[k]) > 1e-12 {
			t.Errorf("%s: route %s = %v, want %v (got %v)", what, k, got[k], want[k], got)
		}
	}
}

var headerCohort = map[string]string{"X-Canary": "true"}

// The seed's world: rollout "app", 3 ready stable pods, 2 canary pods.
func nginxWorld(canarySvcHash string, canaryReady bool, ann map[string]string) []client.Object {
	return objects(
		one(rollout("app", withServices("app-stable", "app-canary"), withNginx("app"))),
		one(service("app-stable", sel("app", stableH))),
		one(service("app-canary", sel("app", canarySvcHash))),
		one(replicaSet("app", stableH, imageV1, 3)), one(replicaSet("app", canaryH, imageV2, 2)),
		pods("app", stableH, imageV1, true, 0, 3),
		pods("app", canaryH, imageV2, canaryReady, 0, 2),
		one(canaryIngress("app-app-canary", "app-canary", ann)),
	)
}

func TestSplitFromCluster(t *testing.T) {
	const (
		stable1 = "app-stable/" + stableH + "/v1/stable"
		canary2 = "app-canary/" + canaryH + "/v2/canary"
	)
	cases := []struct {
		name       string
		objs       []client.Object
		header     map[string]string // the cohort under test
		wantHeader map[string]float64
		wantPlain  map[string]float64 // a request without headers
	}{
		{
			name:       "nginx weight 40: the header cohort goes to the switched canary Service, the rest by weight",
			objs:       nginxWorld(canaryH, true, nginxAnn(40)),
			header:     headerCohort,
			wantHeader: map[string]float64{canary2: 1},
			wantPlain:  map[string]float64{canary2: 0.4, stable1: 0.6},
		},
		{
			name:   "canary Service not switched yet: header requests reach the stable pods through it",
			objs:   nginxWorld(stableH, true, nginxAnn(0)),
			header: headerCohort,
			wantHeader: map[string]float64{
				"app-canary/" + stableH + "/v1/stable": 1},
			wantPlain: map[string]float64{stable1: 1},
		},
		{
			name:       "canary Service selects no ready pod: nginx sends everything, header too, to the stable Service",
			objs:       nginxWorld(canaryH, false, nginxAnn(40)),
			header:     headerCohort,
			wantHeader: map[string]float64{stable1: 1},
			wantPlain:  map[string]float64{stable1: 1},
		},
		{
			name:       "header value that does not match falls through to the weight",
			objs:       nginxWorld(canaryH, true, nginxAnn(40)),
			header:     map[string]string{"x-canary": "yes"},
			wantHeader: map[string]float64{canary2: 0.4, stable1: 0.6},
			wantPlain:  map[string]float64{canary2: 0.4, stable1: 0.6},
		},
		{
			name:       "header without value: never overrides the weight",
			objs:       nginxWorld(canaryH, true, nginxAnn(40, prefixNG+"canary-by-header-value", "")),
			header:     map[string]string{"X-Canary": "never"},
			wantHeader: map[string]float64{stable1: 1},
			wantPlain:  map[string]float64{canary2: 0.4, stable1: 0.6},
		},
		{
			name:       "header without value: always goes to canary at weight 0",
			objs:       nginxWorld(canaryH, true, nginxAnn(0, prefixNG+"canary-by-header-value", "")),
			header:     map[string]string{"X_CANARY": "always"},
			wantHeader: map[string]float64{canary2: 1},
			wantPlain:  map[string]float64{stable1: 1},
		},
		{
			name: "header pattern",
			objs: nginxWorld(canaryH, true, nginxAnn(10, prefixNG+"canary-by-header-value", "",
				prefixNG+"canary-by-header-pattern", "^(beta|internal)$")),
			header:     map[string]string{"X-Canary": "internal"},
			wantHeader: map[string]float64{canary2: 1},
			wantPlain:  map[string]float64{canary2: 0.1, stable1: 0.9},
		},
		{
			name: "invalid header pattern sends the header requests to stable",
			objs: nginxWorld(canaryH, true, nginxAnn(50, prefixNG+"canary-by-header-value", "",
				prefixNG+"canary-by-header-pattern", "(")),
			header:     map[string]string{"X-Canary": "x"},
			wantHeader: map[string]float64{stable1: 1},
			wantPlain:  map[string]float64{canary2: 0.5, stable1: 0.5},
		},
		{
			name:       "canary-weight-total above 100 divides the weight",
			objs:       nginxWorld(canaryH, true, nginxAnn(40, prefixNG+"canary-weight-total", "200")),
			header:     map[string]string{},
			wantHeader: map[string]float64{canary2: 0.2, stable1: 0.8},
			wantPlain:  map[string]float64{canary2: 0.2, stable1: 0.8},
		},
		{
			name:       "canary-weight-total below 100 is ignored, as nginx does",
			objs:       nginxWorld(canaryH, true, nginxAnn(40, prefixNG+"canary-weight-total", "50")),
			header:     map[string]string{},
			wantHeader: map[string]float64{canary2: 0.4, stable1: 0.6},
			wantPlain:  map[string]float64{canary2: 0.4, stable1: 0.6},
		},
		{
			name:       "canary ingress not marked canary is no canary",
			objs:       nginxWorld(canaryH, true, nginxAnn(40, prefixNG+"canary", "false")),
			header:     headerCohort,
			wantHeader: map[string]float64{stable1: 1},
			wantPlain:  map[string]float64{stable1: 1},
		},
		{
			name: "no canary ingress yet: all to the stable Service",
			objs: objects(
				one(rollout("app", withServices("app-stable", "app-canary"), withNginx("app"))),
				one(service("app-stable", sel("app", stableH))), one(service("app-canary", sel("app", canaryH))),
				pods("app", stableH, imageV1, true, 0, 3), pods("app", canaryH, imageV2, true, 0, 2)),
			header:     headerCohort,
			wantHeader: map[string]float64{stable1: 1},
			wantPlain:  map[string]float64{stable1: 1},
		},
		{
			name: "stable Service with no ready pod: nginx answers 503 to everyone",
			objs: objects(
				one(rollout("app", withServices("app-stable", "app-canary"), withNginx("app"))),
				one(service("app-stable", sel("app", stableH))), one(service("app-canary", sel("app", canaryH))),
				pods("app", stableH, imageV1, false, 0, 3), pods("app", canaryH, imageV2, true, 0, 2),
				one(canaryIngress("app-app-canary", "app-canary", nginxAnn(40)))),
			header:     headerCohort,
			wantHeader: map[string]float64{"app-stable/503": 1},
			wantPlain:  map[string]float64{"app-stable/503": 1},
		},
		{
			name: "basic canary without a Service: by ready pods, 1 canary and 4 stable is 20%",
			objs: objects(
				one(rollout("app")),
				one(replicaSet("app", stableH, imageV1, 4)), one(replicaSet("app", canaryH, imageV2, 2)),
				pods("app", stableH, imageV1, true, 0, 4),
				terminating(pods("app", stableH, imageV1, true, 4, 1)),
				pods("app", canaryH, imageV2, true, 0, 1),
				pods("app", canaryH, imageV2, false, 1, 1),
				pods("other", "h9999", "registry.example/other:v7", true, 0, 3)),
			header:     headerCohort,
			wantHeader: map[string]float64{"/" + canaryH + "/v2/canary": 0.2, "/" + stableH + "/v1/stable": 0.8},
			wantPlain:  map[string]float64{"/" + canaryH + "/v2/canary": 0.2, "/" + stableH + "/v1/stable": 0.8},
		},
		{
			name: "basic canary through a Service selecting the app",
			objs: objects(
				one(rollout("app", withServices("", "app-all"))), one(service("app-all", sel("app", ""))),
				pods("app", stableH, imageV1, true, 0, 4), pods("app", canaryH, imageV2, true, 0, 1)),
			header:     nil,
			wantHeader: map[string]float64{"app-all/" + canaryH + "/v2/canary": 0.2, "app-all/" + stableH + "/v1/stable": 0.8},
			wantPlain:  map[string]float64{"app-all/" + canaryH + "/v2/canary": 0.2, "app-all/" + stableH + "/v1/stable": 0.8},
		},
		{
			name: "basic canary through the stable Service pinned to the stable hash: no canary traffic",
			objs: objects(
				one(rollout("app", withServices("app-stable", "app-canary"))),
				one(service("app-stable", sel("app", stableH))), one(service("app-canary", sel("app", canaryH))),
				pods("app", stableH, imageV1, true, 0, 4), pods("app", canaryH, imageV2, true, 0, 1)),
			header:     headerCohort,
			wantHeader: map[string]float64{stable1: 1},
			wantPlain:  map[string]float64{stable1: 1},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := SplitFromCluster(context.Background(), fakeClient(t, tc.objs...), ns, versionOf)
			if err != nil {
				t.Fatal(err)
			}
			if len(s.Rollouts) != 1 {
				t.Fatalf("want 1 rollout in the split, got %+v", s.Rollouts)
			}
			sameRoutes(t, "header cohort", routeMap(s.Routes(tc.header)), tc.wantHeader)
			sameRoutes(t, "no header", routeMap(s.Routes(nil)), tc.wantPlain)
		})
	}
}

func TestSplitFromClusterReadsRouterDetails(t *testing.T) {
	s, err := SplitFromCluster(context.Background(), fakeClient(t, nginxWorld(canaryH, true, nginxAnn(40))...), ns, versionOf)
	if err != nil {
		t.Fatal(err)
	}
	r := s.Rollouts[0]
	if r.Router != RouterNginx || r.Ingress != "app-app-canary" || r.Weight != 0.4 ||
		r.Header == nil || *r.Header != (HeaderRule{Name: "X-Canary", Value: "true"}) {
		t.Fatalf("router %q ingress %q weight %v header %+v", r.Router, r.Ingress, r.Weight, r.Header)
	}
	if r.Canary == nil || r.Canary.Service != "app-canary" || r.Canary.Pods() != 2 || r.Stable.Pods() != 3 {
		t.Fatalf("backends stable %+v canary %+v", r.Stable, r.Canary)
	}
	if e := r.Canary.Endpoints; len(e) != 1 || e[0] != (Endpoint{Hash: canaryH, Image: imageV2, Version: "v2", Pods: 2}) {
		t.Fatalf("canary endpoints %+v", e)
	}
}

func TestSplitFromClusterCustomPrefixAndRollouts(t *testing.T) {
	// Two canary rollouts, one with a custom annotation prefix, one
	// blue-green (ignored); each canary rollout receives the whole rate.
	custom := rollout("api", withServices("api-stable", "api-canary"), withNginx("api-ing"))
	custom.Spec.Strategy.Canary.TrafficRouting.Nginx.AnnotationPrefix = "custom.nginx.io"
	bg := rollout("bg")
	bg.Spec.Strategy = v1alpha1.RolloutStrategy{BlueGreen: &v1alpha1.BlueGreenStrategy{ActiveService: "bg"}}
	objs := objects(
		nginxWorld(canaryH, true, nginxAnn(40)),
		one(custom), one(bg),
		one(service("api-stable", sel("api", stableH))), one(service("api-canary", sel("api", canaryH))),
		pods("api", stableH, imageV1, true, 0, 1), pods("api", canaryH, imageV2, true, 0, 1),
		// The default prefix on a custom-prefix ingress means nothing.
		one(canaryIngress("api-api-ing-canary", "api-canary", map[string]string{
			"custom.nginx.io/canary": "true", "custom.nginx.io/canary-weight": "25", prefixNG + "canary-weight": "90"})),
	)
	s, err := SplitFromCluster(context.Background(), fakeClient(t, objs...), ns, versionOf)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Rollouts) != 2 || s.Rollouts[0].Rollout != "api" || s.Rollouts[1].Rollout != "app" {
		t.Fatalf("rollouts %+v", s.Rollouts)
	}
	if s.Rollouts[0].Weight != 0.25 {
		t.Fatalf("api weight %v, want 0.25", s.Rollouts[0].Weight)
	}
	total := 0.0
	for _, r := range s.Routes(nil) {
		total += r.Fraction
	}
	if math.Abs(total-2) > 1e-12 {
		t.Fatalf("fractions sum to %v, want 1 per rollout", total)
	}
}

// --- Model ---

// handSplit: rollout "app", stable v1 (h1) and canary v2 (h2) behind nginx
// at weight w with the seed's header rule; canaryPods 0 means the canary
// Service has no ready pod.
func handSplit(w float64, canaryPods int) Split {
	cb := &Backend{Service: "app-canary"}
	if canaryPods > 0 {
		cb.Endpoints = []Endpoint{{Hash: canaryH, Image: imageV2, Version: "v2", Pods: canaryPods}}
	}
	return Split{Namespace: ns, Rollouts: []RolloutSplit{{
		Rollout: "app", CanaryHash: canaryH, StableHash: stableH, Router: RouterNginx, Ingress: "app-app-canary",
		Weight: w, Header: &HeaderRule{Name: "X-Canary", Value: "true"},
		Stable: Backend{Service: "app-stable", Endpoints: []Endpoint{{Hash: stableH, Image: imageV1, Version: "v1", Pods: 3}}},
		Canary: cb,
	}}}
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func at(d time.Duration) time.Time { return t0.Add(d) }

func win(from, to time.Duration) Window { return Window{From: at(from), To: at(to)} }

func mustNew(t *testing.T, cfg Config, versions map[string]VersionBehavior) *Model {
	t.Helper()
	m, err := New(cfg, versions, t0)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSplitChangeMidWindow(t *testing.T) {
	m := mustNew(t, Config{RPS: 10}, map[string]VersionBehavior{"v1": {}, "v2": {ErrorRate: 0.1}})
	m.SetSplit(at(0), handSplit(0, 0))
	m.SetSplit(at(time.Minute), handSplit(0.4, 2))
	m.Advance(at(2 * time.Minute))
	w := win(30*time.Second, 90*time.Second)
	near(t, "all", m.Requests(Scope{}, w), 600)
	near(t, "v1", m.Requests(Scope{Version: "v1"}, w), 30*10+30*10*0.6)
	near(t, "v2", m.Requests(Scope{Version: "v2"}, w), 30*10*0.4)
	near(t, "canary role", m.Requests(Scope{Role: RoleCanary}, w), 120)
	near(t, "canary service", m.Requests(Scope{Service: "app-canary"}, w), 120)
	near(t, "stable service", m.Requests(Scope{Service: "app-stable"}, w), 480)
	near(t, "v2 errors", m.Errors(Scope{Version: "v2"}, w), 12)
	near(t, "v1 errors", m.Errors(Scope{Version: "v1"}, w), 0)
	near(t, "canary success", m.SuccessRate(Scope{Role: RoleCanary}, w), 0.9)
	near(t, "overall error rate", m.ErrorRate(Scope{}, w), 12.0/600)
	// Before the change the canary served nothing: NaN, as Prometheus.
	if r := m.SuccessRate(Scope{Role: RoleCanary}, win(0, time.Minute)); !math.IsNaN(r) {
		t.Errorf("canary success rate before any canary request = %v, want NaN", r)
	}
}

func TestScheduleChange(t *testing.T) {
	m := mustNew(t, Config{RPS: 10, Schedule: []RPSPoint{{At: "1m", RPS: 50}, {At: "3m", RPS: 0}}}, nil)
	m.SetSplit(at(0), handSplit(0.4, 2))
	m.Advance(at(4 * time.Minute))
	near(t, "across the step", m.Requests(Scope{}, win(30*time.Second, 90*time.Second)), 30*10+30*50)
	near(t, "whole run", m.Requests(Scope{}, win(0, 10*time.Minute)), 60*10+120*50)
	near(t, "canary across the step", m.Requests(Scope{Version: "v2"}, win(30*time.Second, 90*time.Second)), 0.4*(30*10+30*50))
	if got := m.RPS(at(2 * time.Minute)); got != 50 {
		t.Errorf("RPS at 2m = %v, want 50", got)
	}
	if r := m.ErrorRate(Scope{}, win(3*time.Minute, 4*time.Minute)); !math.IsNaN(r) {
		t.Errorf("error rate with rps 0 = %v, want NaN", r)
	}
	// Served from T+0 until the rate dropped to 0 at 3m, not until Now.
	for _, e := range m.Exposure() {
		if !e.First.Equal(at(0)) || !e.Last.Equal(at(3*time.Minute)) {
			t.Errorf("exposure %s/%s served %s..%s, want T+0..T+3m", e.Version, e.Cohort, e.First.Sub(t0), e.Last.Sub(t0))
		}
	}
}

func TestEmptyWindowsAreNaN(t *testing.T) {
	m := mustNew(t, Config{}, nil)
	m.SetSplit(at(0), handSplit(0.4, 2))
	m.Advance(at(time.Minute))
	for name, w := range map[string]Window{
		"zero length":    win(30*time.Second, 30*time.Second),
		"reversed":       win(40*time.Second, 30*time.Second),
		"in the future":  win(2*time.Minute, 3*time.Minute),
		"before T+0":     {From: t0.Add(-time.Hour), To: t0},
		"unknown cohort": win(0, time.Minute),
	} {
		scope := Scope{}
		if name == "unknown cohort" {
			scope.Cohort = "nobody"
		}
		if n := m.Requests(scope, w); n != 0 {
			t.Errorf("%s: requests %v, want 0", name, n)
		}
		if r := m.SuccessRate(scope, w); !math.IsNaN(r) {
			t.Errorf("%s: success rate %v, want NaN", name, r)
		}
		if r := m.ErrorRate(scope, w); !math.IsNaN(r) {
			t.Errorf("%s: error rate %v, want NaN", name, r)
		}
	}
	// Default rate 10/s; a window reaching past Now counts up to Now only.
	near(t, "clipped at now", m.Requests(Scope{}, win(30*time.Second, time.Hour)), 300)
}

func TestHeaderCohortSplit(t *testing.T) {
	cfg := Config{RPS: 100, Cohorts: []Cohort{{Name: "testers", Header: map[string]string{"X-Canary": "true"}, Share: 0.05}}}
	m := mustNew(t, cfg, map[string]VersionBehavior{"v2": {ErrorRate: 0.2}})
	m.SetSplit(at(0), handSplit(0.4, 2))
	m.Advance(at(10 * time.Second))
	w := win(0, 10*time.Second)
	near(t, "testers on canary", m.Requests(Scope{Cohort: "testers", Role: RoleCanary}, w), 50)
	near(t, "testers on stable", m.Requests(Scope{Cohort: "testers", Role: RoleStable}, w), 0)
	near(t, "default on canary", m.Requests(Scope{Cohort: DefaultCohort, Role: RoleCanary}, w), 950*0.4)
	near(t, "all on canary", m.Requests(Scope{Role: RoleCanary}, w), 1000*(0.05+0.95*0.4))
	near(t, "testers errors", m.Errors(Scope{Cohort: "testers"}, w), 10)
}

func TestUnservedRequestsAreErrors(t *testing.T) {
	m := mustNew(t, Config{RPS: 1}, nil)
	s := handSplit(0.4, 2)
	s.Rollouts[0].Stable.Endpoints = nil
	m.SetSplit(at(0), s)
	m.Advance(at(time.Minute))
	w := win(0, time.Minute)
	near(t, "requests", m.Requests(Scope{Service: "app-stable"}, w), 60)
	near(t, "success", m.SuccessRate(Scope{}, w), 0)
	if n := m.Requests(Scope{Version: "v2"}, w); n != 0 {
		t.Errorf("v2 served %v requests with no stable pod, want 0 (nginx 503s everything)", n)
	}
	if e := m.Exposure(); len(e) != 0 {
		t.Errorf("unserved requests are no exposure: %+v", e)
	}
}

func TestExposure(t *testing.T) {
	cfg := Config{RPS: 10, Cohorts: []Cohort{{Name: "testers", Header: map[string]string{"X-Canary": "true"}, Share: 0.1}}}
	m := mustNew(t, cfg, map[string]VersionBehavior{"v2": {ErrorRate: 0.5}})
	m.SetSplit(at(0), handSplit(0, 0))               // canary not ready: all on v1
	m.SetSplit(at(time.Minute), handSplit(0, 2))     // canary ready: testers on v2
	m.SetSplit(at(2*time.Minute), handSplit(0.5, 2)) // weight 50
	m.SetSplit(at(3*time.Minute), handSplit(0, 0))   // aborted: back to v1
	m.Advance(at(4 * time.Minute))
	got := m.Exposure()
	want := []Exposure{
		{Rollout: "app", Version: "v1", Hash: stableH, Cohort: DefaultCohort,
			Requests: 60*9 + 60*9 + 60*9*0.5 + 60*9, First: at(0), Last: at(4 * time.Minute)},
		{Rollout: "app", Version: "v1", Hash: stableH, Cohort: "testers",
			Requests: 60 + 60, First: at(0), Last: at(4 * time.Minute)},
		{Rollout: "app", Version: "v2", Hash: canaryH, Cohort: DefaultCohort,
			Requests: 60 * 9 * 0.5, Errors: 60 * 9 * 0.5 * 0.5, First: at(2 * time.Minute), Last: at(3 * time.Minute)},
		{Rollout: "app", Version: "v2", Hash: canaryH, Cohort: "testers",
			Requests: 120, Errors: 60, First: at(time.Minute), Last: at(3 * time.Minute)},
	}
	if len(got) != len(want) {
		t.Fatalf("exposure %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Rollout != w.Rollout || g.Version != w.Version || g.Hash != w.Hash || g.Cohort != w.Cohort ||
			!g.First.Equal(w.First) || !g.Last.Equal(w.Last) {
			t.Errorf("exposure[%d] = %+v, want %+v", i, g, w)
		}
		near(t, fmt.Sprintf("exposure[%d].requests", i), g.Requests, w.Requests)
		near(t, fmt.Sprintf("exposure[%d].errors", i), g.Errors, w.Errors)
	}
	// Exposure agrees with the windowed counters.
	near(t, "v2 requests", m.Requests(Scope{Version: "v2"}, win(0, time.Hour)), 60*9*0.5+120)
}

func TestSegmentsFollowChangesNotTime(t *testing.T) {
	m := mustNew(t, Config{}, nil)
	m.SetSplit(at(0), handSplit(0.4, 2))
	for i := 1; i <= 1000; i++ {
		m.Advance(at(time.Duration(i) * time.Second))
		m.SetSplit(at(time.Duration(i)*time.Second), handSplit(0.4, 2)) // same routing
	}
	if len(m.segs) != 1 {
		t.Fatalf("%d segments after 1000 identical splits, want 1", len(m.segs))
	}
	// Several splits at one instant: the last one counts, no empty segment.
	m.SetSplit(at(1001*time.Second), handSplit(0.6, 2))
	m.SetSplit(at(1001*time.Second), handSplit(0.8, 2))
	m.SetSplit(at(1001*time.Second), handSplit(0.4, 2))
	if len(m.segs) != 1 {
		t.Fatalf("%d segments after splits that end where they began, want 1", len(m.segs))
	}
	m.SetSplit(at(1001*time.Second), handSplit(0.6, 2))
	m.Advance(at(1002 * time.Second))
	if len(m.segs) != 2 {
		t.Fatalf("%d segments, want 2", len(m.segs))
	}
	near(t, "canary in the last second", m.Requests(Scope{Version: "v2"}, win(1001*time.Second, 1002*time.Second)), 6)
	// Time going backwards is taken as Now.
	m.SetSplit(at(0), handSplit(0, 2))
	near(t, "history untouched", m.Requests(Scope{Version: "v2"}, win(0, 1001*time.Second)), 4004)
}

func TestLatencyQuantile(t *testing.T) {
	versions := map[string]VersionBehavior{
		"v1": {Latency: &Latency{P50: "10ms", P95: "20ms", P99: "30ms"}},
		"v2": {Latency: &Latency{P50: "1s", P95: "2s", P99: "3s"}},
	}
	m := mustNew(t, Config{RPS: 10}, versions)
	m.SetSplit(at(0), handSplit(0, 0))
	m.SetSplit(at(time.Minute), handSplit(0.5, 2))
	m.Advance(at(2 * time.Minute))
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 10 * time.Millisecond}, {0.95, 20 * time.Millisecond}, {0.99, 30 * time.Millisecond}, {0.25, 5 * time.Millisecond},
		{0.995, 31250 * time.Microsecond}, {1, 32500 * time.Microsecond}} {
		got, ok := m.LatencyQuantile(Scope{}, win(0, time.Minute), c.q)
		if !ok || got != c.want {
			t.Errorf("v1 alone q%v = %v %v, want %v", c.q, got, ok, c.want)
		}
	}
	// Half v1, half v2: the mixture's median is where
	// ½F1(x) + ½F2(x) = ½, between v1's p95 and p99: x = 65/2.25 ms.
	got, ok := m.LatencyQuantile(Scope{}, win(time.Minute, 2*time.Minute), 0.5)
	ms := float64(time.Millisecond)
	want := time.Duration(65 / 2.25 * ms)
	if !ok || (got-want).Abs() > time.Microsecond {
		t.Errorf("mixed median = %v %v, want ≈%v", got, ok, want)
	}
	// Across both minutes v2 is a quarter of the requests; its slowness
	// lifts the p99 far beyond v1's.
	if p99, _ := m.LatencyQuantile(Scope{}, win(0, 2*time.Minute), 0.99); p99 < time.Second {
		t.Errorf("p99 with a quarter of slow requests = %v, want > 1s", p99)
	}
	if got, ok := m.LatencyQuantile(Scope{Version: "v2"}, win(0, time.Minute), 0.5); ok {
		t.Errorf("v2 before it served = %v, want no answer", got)
	}
	if _, ok := m.LatencyQuantile(Scope{}, win(0, time.Minute), 1.5); ok {
		t.Error("q 1.5 answered")
	}
	// A version without latency is left out of the mix.
	m2 := mustNew(t, Config{}, map[string]VersionBehavior{"v1": {}, "v2": {Latency: &Latency{P50: "100ms"}}})
	m2.SetSplit(at(0), handSplit(0.5, 2))
	m2.Advance(at(time.Minute))
	if got, ok := m2.LatencyQuantile(Scope{}, win(0, time.Minute), 0.5); !ok || got != 100*time.Millisecond {
		t.Errorf("only v2 has latency: median %v %v, want 100ms", got, ok)
	}
	if got, ok := m2.LatencyQuantile(Scope{}, win(0, time.Minute), 0.75); !ok || got != 150*time.Millisecond {
		t.Errorf("p50 alone is uniform on [0, 2·p50]: q0.75 = %v %v, want 150ms", got, ok)
	}
	if _, ok := m2.LatencyQuantile(Scope{Version: "v1"}, win(0, time.Minute), 0.5); ok {
		t.Error("v1 has no latency configured but answered")
	}
}

func TestValidation(t *testing.T) {
	lat := func(p50, p95, p99 string) map[string]VersionBehavior {
		return map[string]VersionBehavior{"v1": {Latency: &Latency{P50: p50, P95: p95, P99: p99}}}
	}
	cases := []struct {
		name     string
		cfg      Config
		versions map[string]VersionBehavior
		want     string
	}{
		{"negative rps", Config{RPS: -1}, nil, "traffic.rps: must be a finite number >= 0"},
		{"NaN rps", Config{RPS: math.NaN()}, nil, "traffic.rps: must be a finite number >= 0"},
		{"share above 1", Config{Cohorts: []Cohort{{Name: "a", Share: 1.5}}}, nil, "traffic.cohorts[0].share: must be between 0 and 1"},
		{"negative share", Config{Cohorts: []Cohort{{Name: "a", Share: 0.1}, {Name: "b", Share: -0.1}}}, nil, "traffic.cohorts[1].share: must be between 0 and 1"},
		{"shares above 1", Config{Cohorts: []Cohort{{Name: "a", Share: 0.6}, {Name: "b", Share: 0.6}}}, nil, "traffic.cohorts: shares sum to 1.2, must be at most 1"},
		{"no name", Config{Cohorts: []Cohort{{Share: 0.1}}}, nil, "traffic.cohorts[0].name: required"},
		{"reserved name", Config{Cohorts: []Cohort{{Name: "default", Share: 0.1}}}, nil, `traffic.cohorts[0].name: "default" is reserved`},
		{"duplicate name", Config{Cohorts: []Cohort{{Name: "a", Share: 0.1}, {Name: "a", Share: 0.1}}}, nil, `traffic.cohorts[1].name: "a" is already the name of cohorts[0]`},
		{"same header twice", Config{Cohorts: []Cohort{{Name: "a", Share: 0.1, Header: map[string]string{"X-Canary": "1", "x_canary": "2"}}}}, nil, "traffic.cohorts[0].header:"},
		{"bad at", Config{Schedule: []RPSPoint{{At: "soon", RPS: 1}}}, nil, `traffic.schedule[0].at: expected a duration like "5m", got "soon"`},
		{"negative at", Config{Schedule: []RPSPoint{{At: "-1m", RPS: 1}}}, nil, "traffic.schedule[0].at: must not be negative"},
		{"unordered at", Config{Schedule: []RPSPoint{{At: "5m", RPS: 1}, {At: "5m", RPS: 2}}}, nil, "traffic.schedule[1].at: must be after schedule[0].at (5m0s)"},
		{"negative scheduled rps", Config{Schedule: []RPSPoint{{At: "5m", RPS: -3}}}, nil, "traffic.schedule[0].rps: must be a finite number >= 0"},
		{"error rate", Config{}, map[string]VersionBehavior{"v1": {ErrorRate: 1.01}}, "versions.v1.errorRate: must be between 0 and 1"},
		{"bad latency", Config{}, lat("fast", "", ""), `versions.v1.latency.p50: expected a duration like "120ms", got "fast"`},
		{"decreasing latency", Config{}, lat("100ms", "50ms", ""), "versions.v1.latency.p95: 50ms is below the lower quantile's 100ms"},
		{"empty latency", Config{}, lat("", "", ""), "versions.v1.latency: give at least one of p50, p95, p99"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg, tc.versions, t0)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	// The boundaries are valid.
	if _, err := New(Config{RPS: 0, Cohorts: []Cohort{{Name: "a", Share: 0.7}, {Name: "b", Share: 0.3}},
		Schedule: []RPSPoint{{At: "0s", RPS: 0}}}, map[string]VersionBehavior{"v1": {ErrorRate: 1}}, t0); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
}

func TestRPSDefaultAndZeroStart(t *testing.T) {
	m := mustNew(t, Config{}, nil)
	if got := m.RPS(at(0)); got != DefaultRPS {
		t.Errorf("default rps %v, want %v", got, DefaultRPS)
	}
	m = mustNew(t, Config{RPS: 7, Schedule: []RPSPoint{{At: "0s", RPS: 0}, {At: "1m", RPS: 5}}}, nil)
	m.SetSplit(at(0), handSplit(0, 0))
	m.Advance(at(2 * time.Minute))
	near(t, "zero start", m.Requests(Scope{}, win(0, 2*time.Minute)), 300)
	if e := m.Exposure(); len(e) != 1 || !e[0].First.Equal(at(time.Minute)) {
		t.Errorf("first served at the first positive rate: %+v", e)
	}
}
