package traffic

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/controller/trafficrouting"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Roles of the pods that serve a request, from the rollout's status.
const (
	RoleCanary = "canary" // pod-template hash = status.currentPodHash (and not the stable one)
	RoleStable = "stable" // pod-template hash = status.stableRS
	RoleOther  = "other"  // any other hash (an older revision still serving)
)

// Routers: what splits a rollout's requests.
const (
	// RouterNginx: the nginx canary Ingress's annotations (weight, header).
	RouterNginx = "nginx"
	// RouterWeights: another traffic router; status.canary.weights decides.
	RouterWeights = "weights"
	// RouterService: basic canary through the Service the rollout names.
	RouterService = "service"
	// RouterPods: basic canary without a Service: every ready pod the
	// rollout's selector matches.
	RouterPods = "pods"
)

const (
	defaultNginxPrefix = "nginx.ingress.kubernetes.io"
	// defaultWeightTotal is nginx's canary-weight-total unless the
	// annotation asks for more.
	defaultWeightTotal = 100
)

// Split is where a namespace's requests go at one instant: for each canary
// Rollout, how its router decides between its backends and which pods each
// backend reaches. It does not depend on the cohorts: Routes applies a
// cohort's headers to it.
type Split struct {
	Namespace string
	// Rollouts are sorted by name. Each receives the configured rate.
	Rollouts []RolloutSplit
}

// RolloutSplit is one rollout's router and backends.
type RolloutSplit struct {
	Rollout string
	// CanaryHash is status.currentPodHash, StableHash status.stableRS.
	CanaryHash string
	StableHash string
	// Router is one of the Router* constants.
	Router string
	// Ingress is the canary Ingress in effect (RouterNginx), "" when it
	// does not exist (yet) or is not marked canary: "true".
	Ingress string
	// Weight is the probability that a request no header rule decided goes
	// to the canary backend: canary-weight / canary-weight-total (nginx),
	// or the recorded weight / maxTrafficWeight (RouterWeights).
	Weight float64
	// Header is nginx's canary-by-header rule, nil when none.
	Header *HeaderRule
	// Stable is the main backend: the stable Service behind the stable
	// Ingress, or the basic canary's Service or pods.
	Stable Backend
	// Canary is the alternative backend, nil without one.
	Canary *Backend
	// Routing decides for RouterMesh (every router but nginx that has a
	// RouterReader); Via names that reader.
	Routing *Routing
	Via     string
}

// HeaderRule is nginx's canary-by-header, canary-by-header-value and
// canary-by-header-pattern.
type HeaderRule struct {
	Name    string
	Value   string
	Pattern string
}

// Backend is a Service (or, for RouterPods, the rollout's selector) and the
// ready pods it reaches, grouped by pod-template hash.
type Backend struct {
	// Service is the Service's name, "" for RouterPods.
	Service string
	// Missing: the Service does not exist.
	Missing bool
	// Endpoints are sorted by hash, then image.
	Endpoints []Endpoint
}

// Endpoint is the ready pods of one pod-template hash behind a backend.
type Endpoint struct {
	// Hash is the pods' rollouts-pod-template-hash label ("" if absent).
	Hash string
	// Image is the first container's image; Version is what the caller's
	// versionOf made of it.
	Image   string
	Version string
	// Pods is the number of ready, non-terminating pods.
	Pods int
}

// Pods is the number of ready pods behind the backend.
func (b Backend) Pods() int {
	n := 0
	for _, e := range b.Endpoints {
		n += e.Pods
	}
	return n
}

// Route is a fraction of some requests and where they end up.
type Route struct {
	Rollout string
	// Service is the Service the requests went through ("" for RouterPods).
	Service string
	// Hash, Version and Role describe the pods that served them; all empty
	// when Unserved.
	Hash    string
	Version string
	Role    string
	// Unserved requests found no ready pod: the router answered 503.
	Unserved bool
	// Shadow requests are mirrored copies: served by the pods (and seen by
	// metrics), but their answers reach nobody.
	Shadow bool
	// Fraction of the requests (of this rollout) taking this route.
	Fraction float64
}

// Routes is where requests carrying header go, for every rollout; each
// rollout's fractions sum to 1 (or the rollout has no route at all when it
// has no backend, which cannot happen for splits built by SplitFromCluster).
func (s Split) Routes(header map[string]string) []Route {
	h := normalizeHeader(header)
	var out []Route
	for _, r := range s.Rollouts {
		out = append(out, r.routes(h)...)
	}
	return out
}

// Routes is where this rollout sends requests carrying header.
func (r RolloutSplit) Routes(header map[string]string) []Route {
	return r.routes(normalizeHeader(header))
}

func normalizeHeader(header map[string]string) map[string]string {
	h := make(map[string]string, len(header))
	keys := make([]string, 0, len(header))
	for k := range header {
		keys = append(keys, k)
	}
	sort.Strings(keys) // the first spelling wins, deterministically
	for _, k := range keys {
		if _, dup := h[headerKey(k)]; !dup {
			h[headerKey(k)] = header[k]
		}
	}
	return h
}

// routes: nginx's get_balancer. With no endpoint behind the main backend
// there is no balancer and every request is answered 503, even those the
// canary rule would have taken; with none behind the canary backend the
// alternative balancer is absent and every request goes to the main one.
func (r RolloutSplit) routes(h map[string]string) []Route {
	if r.Routing != nil {
		return r.Routing.routes(r, h)
	}
	if r.Stable.Pods() == 0 {
		return []Route{{Rollout: r.Rollout, Service: r.Stable.Service, Unserved: true, Fraction: 1}}
	}
	p := 0.0
	if r.Canary != nil && r.Canary.Pods() > 0 {
		switch r.Header.decide(h) {
		case toCanary:
			p = 1
		case toStable:
			p = 0
		default:
			p = r.Weight
		}
	}
	var out []Route
	out = r.spread(out, r.Canary, p)
	out = r.spread(out, &r.Stable, 1-p)
	return mergeRoutes(out)
}

// spread divides frac over the backend's pods, round-robin: by pod count.
func (r RolloutSplit) spread(out []Route, b *Backend, frac float64) []Route {
	if b == nil || frac <= 0 {
		return out
	}
	total := b.Pods()
	for _, e := range b.Endpoints {
		if e.Pods == 0 {
			continue
		}
		out = append(out, Route{Rollout: r.Rollout, Service: b.Service, Hash: e.Hash, Version: e.Version,
			Role: r.Role(e.Hash), Fraction: frac * float64(e.Pods) / float64(total)})
	}
	return out
}

// Role is the role of the pods of a hash in this rollout.
func (r RolloutSplit) Role(hash string) string {
	switch {
	case hash != "" && hash == r.StableHash:
		return RoleStable
	case hash != "" && hash == r.CanaryHash:
		return RoleCanary
	}
	return RoleOther
}

type decision int

const (
	undecided decision = iota
	toCanary
	toStable
)

// decide is the header part of ingress-nginx's route_to_alternative_balancer:
// a request carrying the header goes to the canary when its value equals
// canary-by-header-value (if set), else when it matches
// canary-by-header-pattern (if set; an invalid pattern sends it to the
// stable backend, as nginx's match error does), else when it is "always";
// "never" (without value or pattern) sends it to the stable backend. Any
// other request is left to the weight.
func (hr *HeaderRule) decide(h map[string]string) decision {
	if hr == nil || hr.Name == "" {
		return undecided
	}
	v, ok := h[headerKey(hr.Name)]
	if !ok {
		return undecided
	}
	switch {
	case hr.Value != "":
		if v == hr.Value {
			return toCanary
		}
	case hr.Pattern != "":
		re, err := regexp.Compile(hr.Pattern)
		if err != nil {
			return toStable
		}
		if re.MatchString(v) {
			return toCanary
		}
	case v == "always":
		return toCanary
	case v == "never":
		return toStable
	}
	return undecided
}

// SplitFromCluster reads the split at this instant from the cluster behind
// c: every Rollout in namespace with a canary strategy, its router (the nginx
// canary Ingress's annotations; status.canary.weights for another router;
// the rollout's Service or selector without traffic routing) and the ready
// pods behind each backend. versionOf names the version of an image (nil:
// the image itself).
//
// readers are the routers modelled beyond nginx and Services (one per
// router kind, sim/traffic/<router>): a rollout whose traffic routing names
// one of them (the first, in Argo's router order) is split by what that
// router's objects say.
func SplitFromCluster(ctx context.Context, c client.Client, namespace string, versionOf func(image string) string, readers ...RouterReader) (Split, error) {
	if versionOf == nil {
		versionOf = func(image string) string { return image }
	}
	s := Split{Namespace: namespace}
	ros := &v1alpha1.RolloutList{}
	if err := c.List(ctx, ros, client.InNamespace(namespace)); err != nil {
		return s, fmt.Errorf("traffic: list rollouts in %s: %w", namespace, err)
	}
	sort.Slice(ros.Items, func(i, j int) bool { return ros.Items[i].Name < ros.Items[j].Name })
	var canaries []*v1alpha1.Rollout
	for i := range ros.Items {
		ro := &ros.Items[i]
		if ro.Spec.Strategy.Canary != nil && ro.Spec.Strategy.BlueGreen == nil && ro.DeletionTimestamp == nil {
			canaries = append(canaries, ro)
		}
	}
	if len(canaries) == 0 {
		return s, nil
	}
	pl := &corev1.PodList{}
	if err := c.List(ctx, pl, client.InNamespace(namespace)); err != nil {
		return s, fmt.Errorf("traffic: list pods in %s: %w", namespace, err)
	}
	r := reader{ctx: ctx, c: c, ns: namespace, versionOf: versionOf, readers: map[string]RouterReader{}}
	for _, rd := range readers {
		r.readers[rd.Name()] = rd
	}
	for i := range pl.Items {
		if p := &pl.Items[i]; p.DeletionTimestamp == nil && podReady(p) {
			r.ready = append(r.ready, p)
		}
	}
	sort.Slice(r.ready, func(i, j int) bool { return r.ready[i].Name < r.ready[j].Name })
	for _, ro := range canaries {
		rs, err := r.rollout(ro)
		if err != nil {
			return s, err
		}
		s.Rollouts = append(s.Rollouts, rs)
	}
	return s, nil
}

type reader struct {
	ctx       context.Context
	c         client.Client
	ns        string
	versionOf func(string) string
	ready     []*corev1.Pod // sorted by name
	readers   map[string]RouterReader
}

// Client implements Env.
func (r *reader) Client() client.Client { return r.c }

// Namespace implements Env.
func (r *reader) Namespace() string { return r.ns }

// Service implements Env.
func (r *reader) Service(name string) (Backend, error) { return r.service(name) }

// Endpoints implements Env.
func (r *reader) Endpoints(sel labels.Selector) []Endpoint { return r.endpoints(sel) }

// routerReader is the reader of the first router the rollout names that
// has one ("" and nil for nginx, which SplitFromCluster reads itself).
func (r *reader) routerReader(tr *v1alpha1.RolloutTrafficRouting) RouterReader {
	for _, name := range trafficrouting.Requested(tr) {
		if name == "nginx" {
			return nil
		}
		if rd, ok := r.readers[name]; ok {
			return rd
		}
	}
	return nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (r *reader) rollout(ro *v1alpha1.Rollout) (RolloutSplit, error) {
	cs := ro.Spec.Strategy.Canary
	rs := RolloutSplit{Rollout: ro.Name, CanaryHash: ro.Status.CurrentPodHash, StableHash: ro.Status.StableRS}
	var err error
	tr := cs.TrafficRouting
	var rd RouterReader
	if tr != nil {
		rd = r.routerReader(tr)
	}
	switch {
	case rd != nil:
		rs.Router, rs.Via = RouterMesh, rd.Name()
		if rs.Stable, err = r.service(cs.StableService); err != nil {
			return rs, err
		}
		if rs.Routing, err = rd.Read(r.ctx, r, ro); err != nil {
			return rs, fmt.Errorf("traffic: rollout %s: %s: %w", ro.Name, rd.Name(), err)
		}
		if rs.Routing == nil {
			rs.Routing = &Routing{Default: []Destination{{Backend: rs.Stable, Weight: 1}}}
		}
	case tr != nil && tr.Nginx != nil:
		rs.Router = RouterNginx
		if rs.Stable, err = r.service(cs.StableService); err != nil {
			return rs, err
		}
		err = r.nginx(ro, tr.Nginx, &rs)
	case tr != nil:
		rs.Router = RouterWeights
		if rs.Stable, err = r.service(cs.StableService); err != nil {
			return rs, err
		}
		cb, err := r.service(cs.CanaryService)
		if err != nil {
			return rs, err
		}
		rs.Canary = &cb
		if w := ro.Status.Canary.Weights; w != nil {
			m := int32(defaultWeightTotal)
			if tr.MaxTrafficWeight != nil && *tr.MaxTrafficWeight > 0 {
				m = *tr.MaxTrafficWeight
			}
			rs.Weight = clamp01(float64(w.Canary.Weight) / float64(m))
		}
	case cs.StableService != "":
		rs.Router = RouterService
		rs.Stable, err = r.service(cs.StableService)
	case cs.CanaryService != "":
		rs.Router = RouterService
		rs.Stable, err = r.service(cs.CanaryService)
	default:
		rs.Router = RouterPods
		var sel labels.Selector
		if sel, err = metav1.LabelSelectorAsSelector(ro.Spec.Selector); err != nil {
			return rs, fmt.Errorf("traffic: rollout %s: selector: %w", ro.Name, err)
		}
		rs.Stable = Backend{Endpoints: r.endpoints(sel)}
	}
	return rs, err
}

func (r *reader) nginx(ro *v1alpha1.Rollout, ng *v1alpha1.NginxTrafficRouting, rs *RolloutSplit) error {
	stable := ng.StableIngress
	if stable == "" && len(ng.StableIngresses) > 0 {
		stable = ng.StableIngresses[0]
	}
	if stable == "" {
		return nil
	}
	prefix := ng.AnnotationPrefix
	if prefix == "" {
		prefix = defaultNginxPrefix
	}
	name := api.CanaryIngressName(ro.Name, stable)
	ing := &networkingv1.Ingress{}
	if err := r.c.Get(r.ctx, types.NamespacedName{Namespace: r.ns, Name: name}, ing); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("traffic: get ingress %s: %w", name, err)
	}
	ann := ing.Annotations
	if ann[prefix+"/canary"] != "true" {
		return nil
	}
	rs.Ingress = name
	svc := ro.Spec.Strategy.Canary.CanaryService
	if b := ingressBackend(ing); b != "" {
		svc = b
	}
	cb, err := r.service(svc)
	if err != nil {
		return err
	}
	rs.Canary = &cb
	w, _ := strconv.Atoi(ann[prefix+"/canary-weight"])
	total, _ := strconv.Atoi(ann[prefix+"/canary-weight-total"])
	if total <= defaultWeightTotal {
		total = defaultWeightTotal
	}
	rs.Weight = clamp01(float64(w) / float64(total))
	if hn := ann[prefix+"/canary-by-header"]; hn != "" {
		rs.Header = &HeaderRule{Name: hn, Value: ann[prefix+"/canary-by-header-value"], Pattern: ann[prefix+"/canary-by-header-pattern"]}
	}
	return nil
}

// ingressBackend is the first Service backend in the Ingress's rules.
func ingressBackend(ing *networkingv1.Ingress) string {
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		for _, p := range rule.HTTP.Paths {
			if p.Backend.Service != nil && p.Backend.Service.Name != "" {
				return p.Backend.Service.Name
			}
		}
	}
	if d := ing.Spec.DefaultBackend; d != nil && d.Service != nil {
		return d.Service.Name
	}
	return ""
}

// service is a Service's backend: the ready pods its selector matches. A
// missing Service or one without a selector has no endpoint.
func (r *reader) service(name string) (Backend, error) {
	b := Backend{Service: name}
	if name == "" {
		b.Missing = true
		return b, nil
	}
	svc := &corev1.Service{}
	if err := r.c.Get(r.ctx, types.NamespacedName{Namespace: r.ns, Name: name}, svc); err != nil {
		if apierrors.IsNotFound(err) {
			b.Missing = true
			return b, nil
		}
		return b, fmt.Errorf("traffic: get service %s: %w", name, err)
	}
	if len(svc.Spec.Selector) == 0 {
		return b, nil
	}
	b.Endpoints = r.endpoints(labels.SelectorFromSet(svc.Spec.Selector))
	return b, nil
}

func (r *reader) endpoints(sel labels.Selector) []Endpoint {
	type k struct{ hash, image string }
	idx := map[k]int{}
	var out []Endpoint
	for _, p := range r.ready {
		if !sel.Matches(labels.Set(p.Labels)) {
			continue
		}
		img := ""
		if len(p.Spec.Containers) > 0 {
			img = p.Spec.Containers[0].Image
		}
		key := k{p.Labels[v1alpha1.DefaultRolloutUniqueLabelKey], img}
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, Endpoint{Hash: key.hash, Image: img, Version: r.versionOf(img)})
		}
		out[i].Pods++
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Hash != out[j].Hash {
			return out[i].Hash < out[j].Hash
		}
		return out[i].Image < out[j].Image
	})
	return out
}

func clamp01(x float64) float64 {
	switch {
	case !(x > 0):
		return 0
	case x > 1:
		return 1
	}
	return x
}
