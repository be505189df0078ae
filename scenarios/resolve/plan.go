package resolve

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/api"
	"github.com/rollsim/rollsim/plan"
	"github.com/rollsim/rollsim/report"
	"github.com/rollsim/rollsim/scenarios/format"
	"github.com/rollsim/rollsim/scenarios/runner"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
)

// resolver loads a scenario's objects as the runner does.
type resolver struct {
	s  *format.Scenario
	ns string
	// notModelled: the loaded objects the simulation does not model.
	notModelled []report.NotModelled
}

func (r *resolver) loadObjects(paths []string) ([]client.Object, error) {
	var resolved []string
	for _, p := range paths {
		resolved = append(resolved, r.s.Resolve(p))
	}
	return format.LoadObjects(resolved, r.ns, &r.notModelled)
}

// ref is a rollout reference as namespace/name.
func (r *resolver) ref(x string) string {
	ns, n := format.SplitRef(x, r.ns)
	return ns + "/" + n
}

// Plan resolves the scenario into the neutral plan another engine runs
// (`rollsim resolve`, the oracle module): objects loaded with namespaces
// defaulted, versions, actions with their times in milliseconds, metric
// answers as written, the end condition. It fails, with the scenario's
// file and field, where the run would fail on input.
func Plan(s *format.Scenario) (*plan.Plan, error) {
	seed := int64(1)
	if s.Spec.Seed != nil {
		seed = *s.Spec.Seed
	}
	p := &plan.Plan{SchemaVersion: plan.SchemaVersion, Scenario: s.Metadata.Name, File: s.File, Seed: seed,
		Versions: map[string]plan.Version{}, Traffic: s.Spec.Traffic != nil, Actions: []plan.Action{}}
	r := &resolver{s: s, ns: s.Spec.Namespace}
	if r.ns == "" {
		r.ns = "default"
	}
	if err := r.objectsAndInitial(p); err != nil {
		return nil, err
	}
	jobsFromTraffic := r.cluster(p)
	if err := r.metrics(p); err != nil {
		return nil, err
	}
	for i, a := range s.Spec.Actions {
		pa, err := r.action(i, a)
		if err != nil {
			return nil, err
		}
		p.Actions = append(p.Actions, pa)
	}
	if jobsFromTraffic {
		var err error
		if p.RecordedJobs, err = recordJobs(s); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(p.Actions, func(i, j int) bool { return p.Actions[i].AtMs < p.Actions[j].AtMs })
	r.until(p)
	return p, nil
}

// objectsAndInitial loads the manifests, finds the initial rollout (its
// namespace is the default for references) and fills objects and initial.
func (r *resolver) objectsAndInitial(p *plan.Plan) error {
	s := r.s
	objs, err := r.loadObjects(s.Spec.Manifests)
	if err != nil {
		return err
	}
	roNS, roName := format.SplitRef(s.Spec.Initial.Rollout, "")
	found := false
	for _, o := range objs {
		if ro, ok := o.(*v1alpha1.Rollout); ok && ro.Name == roName && (roNS == "" || ro.Namespace == roNS) {
			r.ns, found = ro.Namespace, true
		}
	}
	if !found {
		return s.ErrAt("spec.initial.rollout", fmt.Sprintf("rollout %q is not in the manifests", s.Spec.Initial.Rollout))
	}
	if p.Objects, err = encodeObjects(r.modelledOnly(objs)); err != nil {
		return fmt.Errorf("%s: %w", s.File, err)
	}
	p.Initial = plan.Initial{Rollout: r.ns + "/" + roName, Container: s.Spec.Initial.Container,
		Images: append(append([]string{}, s.Spec.Initial.History...), s.Spec.Initial.Image)}
	return nil
}

// cluster fills the cluster's timings and the versions; it reports
// whether a version's job outcome comes from the traffic model.
func (r *resolver) cluster(p *plan.Plan) bool {
	s := r.s
	p.Cluster = plan.Cluster{PodStartupMs: 5000, JobPodStartupMs: 2000}
	if d := s.Spec.Cluster.PodStartup; d != nil {
		p.Cluster.PodStartupMs = d.Milliseconds()
	}
	if d := s.Spec.Cluster.JobPodStartup; d != nil {
		p.Cluster.JobPodStartupMs = d.Milliseconds()
	}
	jobsFromTraffic := false
	for name, v := range s.Spec.Versions {
		pv := plan.Version{NeverReady: v.NeverReady, ImagePullError: v.ImagePullError}
		if v.Startup != nil {
			ms := v.Startup.Milliseconds()
			pv.StartupMs = &ms
		}
		if v.Job != nil {
			j := &plan.Job{Result: v.Job.Result, DurationMs: 60000}
			if v.Job.Duration != nil {
				j.DurationMs = v.Job.Duration.Milliseconds()
			}
			pv.Job = j
			pv.JobFromTraffic = v.Job.Traffic != nil
			jobsFromTraffic = jobsFromTraffic || pv.JobFromTraffic
		}
		p.Versions[name] = pv
	}
	return jobsFromTraffic
}

// metrics copies the metric answers as written.
func (r *resolver) metrics(p *plan.Plan) error {
	if len(r.s.Spec.Metrics) == 0 {
		return nil
	}
	p.Metrics = map[string]json.RawMessage{}
	for k, a := range r.s.Spec.Metrics {
		b, err := json.Marshal(a)
		if err != nil {
			return r.s.ErrAt("spec.metrics."+k, err.Error())
		}
		p.Metrics[k] = b
	}
	return nil
}

// action resolves one action (an apply's objects loaded now).
func (r *resolver) action(i int, a format.Action) (plan.Action, error) {
	pa := plan.Action{AtMs: a.At.Milliseconds(), Name: a.Name}
	switch {
	case a.SetImage != nil:
		pa.Kind, pa.Rollout, pa.Image, pa.Container = plan.ActionSetImage, r.ref(a.SetImage.Rollout), a.SetImage.Image, a.SetImage.Container
	case a.Promote != nil:
		pa.Kind, pa.Rollout = plan.ActionPromote, r.ref(a.Promote.Rollout)
	case a.PromoteFull != nil:
		pa.Kind, pa.Rollout = plan.ActionPromoteFull, r.ref(a.PromoteFull.Rollout)
	case a.Abort != nil:
		pa.Kind, pa.Rollout = plan.ActionAbort, r.ref(a.Abort.Rollout)
	case a.Retry != nil:
		pa.Kind, pa.Rollout = plan.ActionRetry, r.ref(a.Retry.Rollout)
	case a.Pause != nil:
		pa.Kind, pa.Rollout = plan.ActionPause, r.ref(a.Pause.Rollout)
	case a.Resume != nil:
		pa.Kind, pa.Rollout = plan.ActionResume, r.ref(a.Resume.Rollout)
	case a.Scale != nil:
		pa.Kind, pa.Rollout, pa.Replicas = plan.ActionScale, r.ref(a.Scale.Rollout), a.Scale.Replicas
	case a.Restart != nil:
		pa.Kind, pa.Rollout = plan.ActionRestart, r.ref(a.Restart.Rollout)
		if a.Restart.In != nil {
			pa.InMs = a.Restart.In.Milliseconds()
		}
	case a.Apply != nil:
		pa.Kind = plan.ActionApply
		objs, err := r.loadObjects(a.Apply.Manifests)
		if err != nil {
			return pa, r.s.ErrAt(fmt.Sprintf("spec.actions[%d].apply", i), err.Error())
		}
		if pa.Objects, err = encodeObjects(r.modelledOnly(objs)); err != nil {
			return pa, r.s.ErrAt(fmt.Sprintf("spec.actions[%d].apply", i), err.Error())
		}
	}
	return pa, nil
}

// until is the end condition with the runner's defaults.
func (r *resolver) until(p *plan.Plan) {
	p.Until = plan.Until{Phases: []string{"Healthy", "Degraded"}, TimeoutMs: time.Hour.Milliseconds()}
	u := r.s.Spec.Until
	if u == nil {
		return
	}
	if u.Rollout != "" {
		p.Until.Rollout = r.ref(u.Rollout)
	}
	if len(u.Phase) > 0 {
		p.Until.Phases = u.Phase
	}
	if u.For != nil {
		p.Until.ForMs = u.For.Milliseconds()
	}
	if u.Timeout != nil {
		p.Until.TimeoutMs = u.Timeout.Milliseconds()
	}
}

// modelledOnly leaves out the objects the simulation does not model (the
// not-modelled listing): no decision of Argo's reads them, and the oracle's
// cluster holds only the kinds Argo's controllers read (docs/oracle.md).
func (r *resolver) modelledOnly(objs []client.Object) []client.Object {
	skip := map[report.NotModelled]bool{}
	for _, n := range r.notModelled {
		skip[report.NotModelled{APIVersion: n.APIVersion, Kind: n.Kind, Namespace: n.Namespace, Name: n.Name}] = true
	}
	out := make([]client.Object, 0, len(objs))
	for _, o := range objs {
		gvk := o.GetObjectKind().GroupVersionKind()
		if !skip[report.NotModelled{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: o.GetNamespace(), Name: o.GetName()}] {
			out = append(out, o)
		}
	}
	return out
}

// encodeObjects writes objects as JSON with apiVersion and kind set.
func encodeObjects(objs []client.Object) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, 0, len(objs))
	for _, o := range objs {
		gvk, err := apiutil.GVKForObject(o, api.Scheme)
		if err != nil {
			return nil, fmt.Errorf("object %s: %w", o.GetName(), err)
		}
		c := o.DeepCopyObject().(client.Object)
		c.GetObjectKind().SetGroupVersionKind(gvk)
		b, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", gvk.Kind, o.GetName(), err)
		}
		out = append(out, b)
	}
	return out, nil
}

// recordJobs runs the scenario on rollsim and records each analysis-job
// attempt's outcome from the timeline ("job/<metric>#<n>" PodFinished
// records), for job outcomes rollsim derives from its traffic model.
func recordJobs(s *format.Scenario) (map[string][]bool, error) {
	res := runner.Run(s, runner.RunOptions{})
	if res.Report.ErrorKind == runner.ErrInput {
		return nil, fmt.Errorf("%s: %s", s.File, res.Report.Error)
	}
	out := map[string][]bool{}
	for _, rec := range res.Report.Timeline {
		if rec.Actor != "cluster" || rec.Reason != "PodFinished" || !strings.HasPrefix(rec.Object, "job/") {
			continue
		}
		job := strings.TrimPrefix(rec.Object, "job/")
		out[job] = append(out[job], rec.Verb == "succeeded")
	}
	return out, nil
}
