package replicas

import (
	"testing"

	"k8s.io/apimachinery/pkg/util/intstr"
)

// Argo's resolveFenceposts (utils/replicaset/replicaset_test.go
// TestResolveFenceposts): percentages round surge up and unavailable down,
// a nil value is 0, both zero gives unavailable 1, a bad string is an error.
func TestResolveFenceposts(t *testing.T) {
	i := func(n int32) *intstr.IntOrString { v := intstr.FromInt32(n); return &v }
	s := func(x string) *intstr.IntOrString { v := intstr.FromString(x); return &v }
	cases := []struct {
		name               string
		surge, unavailable *intstr.IntOrString
		desired            int32
		wantS, wantU       int32
		wantErr            string
	}{
		{"ints", i(2), i(1), 10, 2, 1, ""},
		{"percent rounding", s("25%"), s("25%"), 5, 2, 1, ""},
		{"percent without sign", s("25"), s("25"), 5, 2, 1, ""},
		{"both zero", i(0), i(0), 10, 0, 1, ""},
		{"unavailable rounds to zero", i(0), s("10%"), 5, 0, 1, ""},
		{"nil values are zero", nil, nil, 4, 0, 1, ""},
		{"no cap", i(20), s("200%"), 4, 20, 8, ""},
		{"zero desired", s("25%"), s("25%"), 0, 0, 1, ""},
		{"bad surge", s("lots"), i(1), 4, 0, 0, `invalid value for IntOrString: invalid value "lots": strconv.Atoi: parsing "lots": invalid syntax`},
		{"bad unavailable", i(1), s("x%"), 4, 0, 0, `invalid value for IntOrString: invalid value "x%": strconv.Atoi: parsing "x": invalid syntax`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			gs, gu, err := ResolveFenceposts(c.surge, c.unavailable, c.desired)
			if c.wantErr != "" {
				if err == nil || err.Error() != c.wantErr {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if gs != c.wantS || gu != c.wantU {
				t.Fatalf("= %d, %d, want %d, %d", gs, gu, c.wantS, c.wantU)
			}
		})
	}
}

func TestResolveIntOrPercent(t *testing.T) {
	for _, c := range []struct {
		v     intstr.IntOrString
		total int32
		up    bool
		want  int32
	}{
		{intstr.FromString("33%"), 10, true, 4},
		{intstr.FromString("33%"), 10, false, 3},
		{intstr.FromString("%50%"), 3, true, 2},
		{intstr.FromInt32(7), 3, false, 7},
	} {
		if got, err := ResolveIntOrPercent(c.v, c.total, c.up); err != nil || got != c.want {
			t.Errorf("ResolveIntOrPercent(%s, %d, %v) = %d, %v; want %d", c.v.String(), c.total, c.up, got, err, c.want)
		}
	}
}
