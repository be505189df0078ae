package main

import (
	"strings"
	"testing"
)

// TestReplayArgoRouterExamples replays Argo v1.10.1's router examples (the
// copies and re-typed documentation manifests in
// scenarios/testdata/routers, sources in their READMEs) with `rollsim
// replay`, as a user would: each reaches full promotion with the promotes
// its indefinite pauses need.
func TestReplayArgoRouterExamples(t *testing.T) {
	const dir = "../../scenarios/testdata/routers/"
	for _, tc := range []struct {
		manifests, rollout, image string
		extra                     []string
	}{
		{"alb/base", "alb-demo", "nginx:1.16.0", []string{"--metric", "success-rate=1"}},
		{"alb/header-route", "alb-demo", "nginx:1.16.0", []string{"--promote-at", "1m"}},
		{"smi/linkerd", "rollout-linkerd", "argoproj/rollouts-demo:green", []string{"--promote-at", "1m"}},
		{"traefik/docs", "rollouts-demo", "argoproj/rollouts-demo:green", []string{"--promote-at", "1m"}},
		{"ambassador/example", "echo-rollout", "hashicorp/http-echo:0.2.3", nil},
		{"apisix/example", "rollout-apisix-canary", "argoproj/rollouts-demo:green", []string{"--promote-at", "1m,2m"}},
		{"appmesh/example", "my-rollout", "argoproj/rollouts-demo:green", []string{"--promote-at", "1m", "--metric", "success-rate=1"}},
	} {
		t.Run(tc.manifests, func(t *testing.T) {
			args := append([]string{"replay", dir + tc.manifests, "--rollout", tc.rollout, "--image", tc.image}, tc.extra...)
			code, out, errOut := run(args...)
			if code != 0 || !strings.Contains(out, "Time to full promotion: ") || strings.Contains(out, "Time to full promotion: never") {
				t.Errorf("exit %d\n%s\n%s", code, out, errOut)
			}
		})
	}
}
