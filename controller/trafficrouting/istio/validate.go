package istio

import (
	"context"
	"fmt"

	"github.com/argoproj/argo-rollouts/pkg/apis/rollouts/v1alpha1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateRoutes is Argo's ValidateHTTPRoutes / ValidateTlsRoutes /
// ValidateTcpRoutes for one kind of a VirtualService's routes.
func (r *Router) validateRoutes(kind string, ref v1alpha1.IstioVirtualService, routes []any) error {
	idx, err := r.routeIndexes(nil, ref, kind, routes)
	if kind == kindHTTP {
		// Argo validates the configured names only (mirror routes join
		// them when weights are set).
		idx, err = httpIndexes(ref.Routes, routes)
	}
	if err != nil {
		return err
	}
	t := r.targets()
	dr := r.istio.DestinationRule
	for _, i := range idx {
		if i >= len(routes) {
			continue
		}
		if err := t.validateDestinations(routeDestinations(routes[i]), dr); err != nil {
			return err
		}
	}
	switch {
	case kind == kindHTTP && len(ref.Routes) == 0 && r.unmanagedCount(routes) > 1:
		return fmt.Errorf("spec.http[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.routes")
	case kind == kindTLS && len(ref.TLSRoutes) == 0 && len(routes) > 1:
		return fmt.Errorf("spec.tls[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.tlsRoutes")
	case kind == kindTCP && len(ref.TCPRoutes) == 0 && len(routes) > 1:
		return fmt.Errorf("spec.tcp[] should be set in VirtualService and it must have exactly one route when omitting spec.strategy.canary.trafficRouting.istio.virtualService.tcpRoutes")
	}
	return nil
}

func (r *Router) unmanagedCount(routes []any) int {
	n := 0
	for _, rt := range routes {
		if !r.isManaged(str(asMap(rt), "name")) {
			n++
		}
	}
	return n
}

// validateDestinations is Argo's validateVirtualServiceRouteDestinations:
// a route the rollout changes must name both the canary and the stable
// (Service, or subset with a DestinationRule).
func (t targets) validateDestinations(dests []destination, dr *v1alpha1.IstioDestinationRule) error {
	var stableSvc, canarySvc, stableSub, canarySub bool
	for _, d := range dests {
		h := ShortHost(d.host)
		stableSvc = stableSvc || (t.stableSvc != "" && h == t.stableSvc)
		canarySvc = canarySvc || (t.canarySvc != "" && h == t.canarySvc)
		if dr != nil {
			stableSub = stableSub || (dr.StableSubsetName != "" && d.subset == dr.StableSubsetName)
			canarySub = canarySub || (dr.CanarySubsetName != "" && d.subset == dr.CanarySubsetName)
		}
	}
	switch {
	case dr != nil && !canarySub:
		return fmt.Errorf("Canary DestinationRule subset '%s' not found in route", dr.CanarySubsetName)
	case dr != nil && !stableSub:
		return fmt.Errorf("Stable DestinationRule subset '%s' not found in route", dr.StableSubsetName)
	case dr == nil && !canarySvc:
		return fmt.Errorf("Canary Service '%s' not found in route", t.canarySvc)
	case dr == nil && !stableSvc:
		return fmt.Errorf("Stable Service '%s' not found in route", t.stableSvc)
	}
	return nil
}

// ValidateReferences is Argo's ValidateRolloutVirtualServicesConfig,
// GetReferencedVirtualServices and ValidateVirtualService: exactly one of
// virtualService / virtualServices, each VirtualService exists, and each
// kind of route it has is valid for the rollout.
func (r *Router) ValidateReferences(ctx context.Context) (string, error) {
	base := field.NewPath("spec", "strategy", "canary", "trafficRouting", "istio")
	if (r.istio.VirtualServices != nil) == (r.istio.VirtualService != nil) {
		return field.InternalError(base, fmt.Errorf("either VirtualService or VirtualServices must be configured")).Error(), nil
	}
	fp := base.Child("virtualService", "name")
	if r.istio.VirtualServices != nil {
		fp = base.Child("virtualServices", "name")
	}
	for _, v := range r.refs() {
		vs, err := r.readVS(ctx, v)
		if isNotFound(err) {
			return field.Invalid(fp, v.name, fmt.Sprintf("virtualservices.%s %q not found", Group, v.name)).Error(), nil
		}
		if err != nil {
			return "", err
		}
		any := false
		for _, kind := range []string{kindHTTP, kindTLS, kindTCP} {
			routes, found, err := routeList(vs, kind)
			if err != nil {
				return field.Invalid(fp, v.name, fmt.Sprintf("Unable to get %s routes for Istio VirtualService", upper(kind))).Error(), nil
			}
			if !found {
				continue
			}
			any = true
			if err := r.validateRoutes(kind, v.ref, routes); err != nil {
				return field.Invalid(fp, v.name, fmt.Sprintf("Istio VirtualService has invalid %s routes. Error: %s", upper(kind), err.Error())).Error(), nil
			}
		}
		if !any {
			return field.Invalid(fp, v.name, "Unable to get any of the HTTP, TCP or TLS routes for the Istio VirtualService").Error(), nil
		}
	}
	return "", nil
}

func upper(kind string) string {
	switch kind {
	case kindHTTP:
		return "HTTP"
	case kindTLS:
		return "TLS"
	}
	return "TCP"
}
