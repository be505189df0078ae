// Package nginx is the ingress-nginx traffic router: for every stable
// Ingress a Rollout names, a canary Ingress (`<rollout>-<ingress>-canary`)
// whose rules send the stable Service's paths to the canary Service, with
// nginx's canary annotations carrying the weight (Argo's
// rollout/trafficrouting/nginx). nginx has no managed header or mirror
// routes and cannot verify a weight.
//
// May import: controller/trafficrouting, api (the canary Ingress name), the
// upstream API types, k8s.io/api and apimachinery, controller-runtime's
// client.
package nginx
