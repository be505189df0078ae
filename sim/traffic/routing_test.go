package traffic

import (
	"testing"
)

func backend(svc string, eps ...Endpoint) Backend { return Backend{Service: svc, Endpoints: eps} }

func TestRoutingWeightsHeadersAndMirrors(t *testing.T) {
	stable := backend("stable", Endpoint{Hash: "s", Version: "v1", Pods: 3})
	canary := backend("canary", Endpoint{Hash: "c", Version: "v2", Pods: 1})
	empty := backend("canary")
	rs := RolloutSplit{Rollout: "ro", StableHash: "s", CanaryHash: "c", Router: RouterMesh}
	cases := []struct {
		name   string
		rt     Routing
		header map[string]string
		want   map[string]float64
	}{
		{"weights", Routing{Default: []Destination{{stable, 80}, {canary, 20}}}, nil,
			map[string]float64{"stable/s": 0.8, "canary/c": 0.2}},
		{"empty canary backend answers 503 for its share", Routing{Default: []Destination{{stable, 80}, {empty, 20}}}, nil,
			map[string]float64{"stable/s": 0.8, "canary/503": 0.2}},
		{"all weights zero is 503", Routing{Default: []Destination{{stable, 0}}}, nil,
			map[string]float64{"/503": 1}},
		{"exact header rule wins over weights", Routing{
			Rules:   []MatchRule{{Name: "h", Headers: []HeaderMatch{{Name: "X-Canary", Exact: "yes"}}, Dests: []Destination{{canary, 100}}}},
			Default: []Destination{{stable, 100}, {canary, 0}}}, map[string]string{"x-canary": "yes"},
			map[string]float64{"canary/c": 1}},
		{"header that does not match falls through", Routing{
			Rules:   []MatchRule{{Name: "h", Headers: []HeaderMatch{{Name: "X-Canary", Exact: "yes"}}, Dests: []Destination{{canary, 100}}}},
			Default: []Destination{{stable, 100}}}, map[string]string{"X-Canary": "no"},
			map[string]float64{"stable/s": 1}},
		{"regex matches the whole value", Routing{
			Rules:   []MatchRule{{Headers: []HeaderMatch{{Name: "user", Regex: "a.*"}}, Dests: []Destination{{canary, 1}}}},
			Default: []Destination{{stable, 1}}}, map[string]string{"user": "ba"},
			map[string]float64{"stable/s": 1}},
		{"prefix", Routing{
			Rules:   []MatchRule{{Headers: []HeaderMatch{{Name: "user", Prefix: "beta-"}}, Dests: []Destination{{canary, 1}}}},
			Default: []Destination{{stable, 1}}}, map[string]string{"user": "beta-7"},
			map[string]float64{"canary/c": 1}},
		{"mirror adds shadow traffic", Routing{
			Default: []Destination{{stable, 100}},
			Mirrors: []Mirror{{Name: "m", Percent: 25, Backend: canary}}}, nil,
			map[string]float64{"stable/s": 1, "shadow:canary/c": 0.25}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rs
			rt := tc.rt
			r.Routing = &rt
			got := map[string]float64{}
			for _, route := range r.Routes(tc.header) {
				k := route.Service + "/" + route.Hash
				if route.Unserved {
					k = route.Service + "/503"
				}
				if route.Shadow {
					k = "shadow:" + k
				}
				got[k] += route.Fraction
			}
			sameRoutes(t, tc.name, got, tc.want)
		})
	}
}

func TestShadowTrafficIsExposureNobodySaw(t *testing.T) {
	m := mustNew(t, Config{RPS: 10}, map[string]VersionBehavior{"v1": {}, "v2": {ErrorRate: 1}})
	stable := backend("stable", Endpoint{Hash: "s", Version: "v1", Pods: 1})
	canary := backend("canary", Endpoint{Hash: "c", Version: "v2", Pods: 1})
	s := Split{Namespace: "ns", Rollouts: []RolloutSplit{{Rollout: "ro", StableHash: "s", CanaryHash: "c", Router: RouterMesh,
		Routing: &Routing{Default: []Destination{{stable, 1}}, Mirrors: []Mirror{{Percent: 50, Backend: canary}}}}}}
	m.SetSplit(at(0), s)
	m.Advance(at(10e9))
	var v2 Exposure
	for _, e := range m.Exposure() {
		if e.Version == "v2" {
			v2 = e
		}
	}
	near(t, "v2 requests answered to users", v2.Requests, 0)
	near(t, "v2 shadow requests", v2.ShadowRequests, 50)
	near(t, "v2 shadow errors", v2.ShadowErrors, 50)
	near(t, "the canary's metrics see the mirrored errors", m.ErrorRate(Scope{Version: "v2"}, win(0, 10e9)), 1)
}
