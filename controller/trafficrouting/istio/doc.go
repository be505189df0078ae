// Package istio is the Istio traffic router (Argo's
// rollout/trafficrouting/istio): the weights of the HTTP routes named in
// virtualService(s).routes (or the only / the first unnamed one), the TLS
// routes matched by port and SNI hosts and the TCP routes matched by port,
// for host-level splits (canary and stable Services) and subset-level splits
// (a DestinationRule whose canary and stable subsets select the
// pod-template hashes); managed header and mirror routes placed on top of
// the VirtualService in managedRoutes order and removed at the end or on
// abort. VirtualServices and DestinationRules are unstructured objects read
// and written through the controller-runtime client, at whichever
// networking.istio.io version the cluster holds them.
//
// May import: controller/trafficrouting, the upstream API types,
// apimachinery (unstructured, field paths), controller-runtime's client.
package istio
