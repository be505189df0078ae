package runner

import (
	"fmt"
	"strings"
	"time"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"github.com/rollsim/rollsim/scenarios/format"
)

func setImage(ro *v1alpha1.Rollout, container, image string) error {
	found := false
	for i := range ro.Spec.Template.Spec.Containers {
		c := &ro.Spec.Template.Spec.Containers[i]
		if container == "" || container == "*" || c.Name == container {
			c.Image = image
			found = true
		}
	}
	if !found {
		return fmt.Errorf("rollout %s has no container %q", ro.Name, container)
	}
	return nil
}

func (r *runner) isBad(image string) bool {
	v, ok := r.s.VersionOf(image)
	if !ok {
		return false
	}
	ver := r.s.Spec.Versions[v]
	if ver.Bad != nil {
		return *ver.Bad
	}
	return ver.Job != nil && ver.Job.Result == "fail"
}

// scheduleActions puts every action on the engine at its time, names the
// anchors, and finds the failure onset (the first setImage of a bad
// version). The first action error lands in *actionErr; *fired counts the
// actions that ran.
func (r *runner) scheduleActions(actionErr *error, fired *int) int {
	h := r.h
	for i := range r.s.Spec.Actions {
		a := r.s.Spec.Actions[i]
		at := r.t0.Add(a.At.Duration)
		if a.Name != "" {
			r.anchors[a.Name] = at
		}
		if a.SetImage != nil && r.isBad(a.SetImage.Image) && (r.onset == nil || at.Before(*r.onset)) {
			t := at
			r.onset = &t
		}
		idx := i
		h.At(at, fmt.Sprintf("action %d", idx), func() {
			*fired++
			if err := r.apply(a); err != nil && *actionErr == nil {
				*actionErr = r.s.ErrAt(fmt.Sprintf("spec.actions[%d]", idx), err.Error())
			}
		})
	}
	return len(r.s.Spec.Actions)
}

// apply performs one action on the harness.
func (r *runner) apply(a format.Action) error {
	h := r.h
	ref := func(x string) (string, string) { return format.SplitRef(x, r.ns) }
	switch {
	case a.SetImage != nil:
		ns, n := ref(a.SetImage.Rollout)
		return h.SetImage(ns, n, a.SetImage.Container, a.SetImage.Image)
	case a.Promote != nil:
		ns, n := ref(a.Promote.Rollout)
		return h.Promote(ns, n, false)
	case a.PromoteFull != nil:
		ns, n := ref(a.PromoteFull.Rollout)
		return h.Promote(ns, n, true)
	case a.Abort != nil:
		ns, n := ref(a.Abort.Rollout)
		return h.Abort(ns, n)
	case a.Retry != nil:
		ns, n := ref(a.Retry.Rollout)
		return h.Retry(ns, n)
	case a.Pause != nil:
		ns, n := ref(a.Pause.Rollout)
		return h.Pause(ns, n)
	case a.Resume != nil:
		ns, n := ref(a.Resume.Rollout)
		return h.Resume(ns, n)
	case a.Scale != nil:
		ns, n := ref(a.Scale.Rollout)
		return h.Scale(ns, n, a.Scale.Replicas)
	case a.Restart != nil:
		ns, n := ref(a.Restart.Rollout)
		var in time.Duration
		if a.Restart.In != nil {
			in = a.Restart.In.Duration
		}
		return h.Restart(ns, n, in)
	case a.Apply != nil:
		return r.applyManifests(a.Apply)
	}
	return nil
}

// applyManifests is the apply action: the files are loaded (and checked
// by the envtest server) when the action runs.
func (r *runner) applyManifests(a *format.ApplyAction) error {
	if r.backend == BackendEnvtest {
		var paths []string
		for _, p := range a.Manifests {
			paths = append(paths, r.s.Resolve(p))
		}
		if err := serverCheck(paths, r.ns); err != nil {
			return err
		}
	}
	objs, err := r.loadObjects(a.Manifests)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if ro, ok := o.(*v1alpha1.Rollout); ok {
			for _, c := range ro.Spec.Template.Spec.Containers {
				if _, ok := r.s.VersionOf(c.Image); !ok {
					return fmt.Errorf("apply: rollout %s: %s", ro.Name, r.s.NoVersion(c.Image))
				}
			}
		}
	}
	if err := r.h.Apply(objs...); err != nil {
		return err
	}
	r.h.Note("user", "manifests", "action", "Apply", strings.Join(a.Manifests, ", "))
	return nil
}
