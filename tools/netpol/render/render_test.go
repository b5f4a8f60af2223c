package render

import (
	"math/rand/v2"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const node = "node-a"

type podOpt func(*corev1.Pod)

func newPod(ns, name, ip string, podLabels map[string]string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: podLabels},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	if ip != "" {
		p.Status.PodIP = ip
		p.Status.PodIPs = []corev1.PodIP{{IP: ip}}
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func onNode(name string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = name } }
func hostNetwork(p *corev1.Pod) { p.Spec.HostNetwork = true }
func phase(ph corev1.PodPhase) podOpt {
	return func(p *corev1.Pod) { p.Status.Phase = ph }
}
func alsoIP(ip string) podOpt {
	return func(p *corev1.Pod) { p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip}) }
}
func containerPort(name string, port int32, proto corev1.Protocol) podOpt {
	return func(p *corev1.Pod) {
		c := &p.Spec.Containers[0]
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: name, ContainerPort: port, Protocol: proto})
	}
}

func newNamespace(name string, nsLabels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: nsLabels}}
}

func newPolicy(ns, name string, selector map[string]string, rules ...networkingv1.NetworkPolicyIngressRule) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: selector},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     rules,
		},
	}
}

// newEgressPolicy is a policy of type Egress only; without rules it allows nothing out.
func newEgressPolicy(ns, name string, selector map[string]string, rules ...networkingv1.NetworkPolicyEgressRule) *networkingv1.NetworkPolicy {
	p := newPolicy(ns, name, selector)
	p.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
	p.Spec.Egress = rules
	return p
}

func selector(l map[string]string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: l}
}

func fromPods(l map[string]string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{PodSelector: selector(l)}
}

func tcp(port int32) networkingv1.NetworkPolicyPort {
	p := intstr.FromInt32(port)
	return networkingv1.NetworkPolicyPort{Port: &p}
}

func named(name string) networkingv1.NetworkPolicyPort {
	p := intstr.FromString(name)
	return networkingv1.NetworkPolicyPort{Port: &p}
}

func withProto(port networkingv1.NetworkPolicyPort, proto corev1.Protocol) networkingv1.NetworkPolicyPort {
	port.Protocol = &proto
	return port
}

func rule(from []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicyIngressRule {
	return networkingv1.NetworkPolicyIngressRule{From: from, Ports: ports}
}

func egressRule(to []networkingv1.NetworkPolicyPeer, ports ...networkingv1.NetworkPolicyPort) networkingv1.NetworkPolicyEgressRule {
	return networkingv1.NetworkPolicyEgressRule{To: to, Ports: ports}
}

func ipBlock(cidr string, except ...string) networkingv1.NetworkPolicyPeer {
	return networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr, Except: except}}
}

// Body lines of a chain in a rendered script, trimmed; nil when the chain is absent.
func chainLines(script, chain string) []string {
	m := regexp.MustCompile(`(?s)\n\tchain ` + regexp.QuoteMeta(chain) + ` \{\n(.*?)\n\t\}\n`).FindStringSubmatch(script)
	if m == nil {
		return nil
	}
	lines := strings.Split(m[1], "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return lines
}

// The lines every pod ingress chain starts and ends with.
func isolated(allowed ...string) []string {
	return slices.Concat([]string{"ip saddr @node_ips_v4 accept", "ip6 saddr @node_ips_v6 accept"}, allowed, []string{"counter drop"})
}

// The lines of a pod egress chain: what it allows, then a drop.
func egressIsolated(allowed ...string) []string {
	return append(slices.Clone(allowed), "counter drop")
}

var (
	redisLabels   = map[string]string{"app": "web", "service": "redis"}
	backendLabels = map[string]string{"app": "web", "service": "app"}
	nginxLabels   = map[string]string{"app": "web", "service": "nginx"}
)

func TestRender(t *testing.T) {
	tier := newNamespace("three-tier", map[string]string{"kubernetes.io/metadata.name": "three-tier"})
	other := newNamespace("other", map[string]string{"kubernetes.io/metadata.name": "other", "team": "ops"})
	redis := newPod("three-tier", "redis-0", "10.244.0.10", redisLabels, containerPort("redis", 6379, ""))
	backend := newPod("three-tier", "backend-1", "10.244.0.11", backendLabels, containerPort("http", 1323, corev1.ProtocolTCP))
	nginx := newPod("three-tier", "frontend-1", "10.244.0.12", nginxLabels)
	intruder := newPod("three-tier", "intruder", "10.244.0.13", map[string]string{"run": "x"})
	ops := newPod("other", "ops", "10.244.0.20", map[string]string{"service": "app"})
	denyAll := newPolicy("three-tier", "default-deny-ingress", nil)
	redisFromBackend := newPolicy("three-tier", "redis-ingress", map[string]string{"service": "redis"},
		rule([]networkingv1.NetworkPolicyPeer{fromPods(map[string]string{"service": "app"})}, tcp(6379)))

	cases := []struct {
		name       string
		pods       []*corev1.Pod
		policies   []*networkingv1.NetworkPolicy
		chains     map[string][]string // expected pod chains; nil value: the chain must be absent
		dispatch   []string            // expected ingress chain after its fixed head
		egress     []string            // expected egress chain after its fixed head
		warnings   []string
		namespaces []*corev1.Namespace
	}{
		{
			name: "no policy: nothing isolated",
			pods: []*corev1.Pod{redis, backend},
			chains: map[string][]string{
				"pod_three-tier_redis-0": nil, "pod_three-tier_backend-1": nil,
			},
			dispatch: nil,
		},
		{
			name:     "default deny isolates every pod of its namespace only",
			pods:     []*corev1.Pod{redis, backend, ops},
			policies: []*networkingv1.NetworkPolicy{denyAll},
			chains: map[string][]string{
				"pod_three-tier_redis-0":   isolated(),
				"pod_three-tier_backend-1": isolated(),
				"pod_other_ops":            nil,
			},
			dispatch: []string{
				"ip daddr vmap { 10.244.0.11 : jump pod_three-tier_backend-1, 10.244.0.10 : jump pod_three-tier_redis-0 }",
			},
		},
		{
			name:     "pod selector peer admits only same-namespace pods with the labels, on the port",
			pods:     []*corev1.Pod{redis, backend, intruder, ops},
			policies: []*networkingv1.NetworkPolicy{redisFromBackend},
			chains: map[string][]string{
				"pod_three-tier_redis-0": isolated(`ip saddr { 10.244.0.11 } tcp dport 6379 accept comment "three-tier/redis-ingress ingress[0]"`),
				// Not selected by the policy: stays open.
				"pod_three-tier_backend-1": nil,
			},
			dispatch: []string{
				"ip daddr vmap { 10.244.0.10 : jump pod_three-tier_redis-0 }",
			},
		},
		{
			name: "namespace selector, alone and combined with a pod selector",
			pods: []*corev1.Pod{redis, backend, ops, newPod("other", "ops-2", "10.244.0.21", nil)},
			policies: []*networkingv1.NetworkPolicy{newPolicy("three-tier", "from-ops", map[string]string{"service": "redis"},
				rule([]networkingv1.NetworkPolicyPeer{{NamespaceSelector: selector(map[string]string{"team": "ops"})}}, tcp(6379)),
				rule([]networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: selector(map[string]string{"team": "ops"}),
					PodSelector:       selector(map[string]string{"service": "app"}),
				}}, tcp(6380)),
				rule([]networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}}, tcp(6381)),
			)},
			chains: map[string][]string{
				"pod_three-tier_redis-0": isolated(
					`ip saddr { 10.244.0.20, 10.244.0.21 } tcp dport 6379 accept comment "three-tier/from-ops ingress[0]"`,
					`ip saddr { 10.244.0.20 } tcp dport 6380 accept comment "three-tier/from-ops ingress[1]"`,
					// An empty namespace selector is every namespace.
					`ip saddr { 10.244.0.10, 10.244.0.11, 10.244.0.20, 10.244.0.21 } tcp dport 6381 accept comment "three-tier/from-ops ingress[2]"`,
				),
			},
			dispatch: []string{
				"ip daddr vmap { 10.244.0.10 : jump pod_three-tier_redis-0 }",
			},
		},
		{
			name: "ipBlock with except, overlapping excepts merged; IPv6 block",
			pods: []*corev1.Pod{redis},
			policies: []*networkingv1.NetworkPolicy{newPolicy("three-tier", "blocks", nil, rule([]networkingv1.NetworkPolicyPeer{
				{IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.244.0.0/16", "10.1.2.3/32", "10.244.1.0/24"}}},
				{IPBlock: &networkingv1.IPBlock{CIDR: "fd00::/8"}},
			}, withProto(tcp(53), corev1.ProtocolUDP)))},
			chains: map[string][]string{
				"pod_three-tier_redis-0": isolated(
					`ip saddr 10.0.0.0/8 ip saddr != { 10.1.2.3/32, 10.244.0.0/16 } udp dport 53 accept comment "three-tier/blocks ingress[0]"`,
					`ip6 saddr fd00::/8 udp dport 53 accept comment "three-tier/blocks ingress[0]"`,
				),
			},
			dispatch: []string{
				"ip daddr vmap { 10.244.0.10 : jump pod_three-tier_redis-0 }",
			},
		},
		{
			name: "named ports resolve per target pod and protocol; unknown name admits nothing",
			pods: []*corev1.Pod{redis, backend},
			policies: []*networkingv1.NetworkPolicy{newPolicy("three-tier", "named", nil,
				rule(nil, named("redis"), named("http")),
				rule(nil, withProto(named("redis"), corev1.ProtocolUDP)),
			)},
			chains: map[string][]string{
				"pod_three-tier_redis-0":   isolated(`tcp dport 6379 accept comment "three-tier/named ingress[0]"`),
				"pod_three-tier_backend-1": isolated(`tcp dport 1323 accept comment "three-tier/named ingress[0]"`),
			},
			dispatch: []string{
				"ip daddr vmap { 10.244.0.11 : jump pod_three-tier_backend-1, 10.244.0.10 : jump pod_three-tier_redis-0 }",
			},
		},
		{
			name: "port ranges, protocol-only ports, SCTP, empty rule admits all",
			pods: []*corev1.Pod{redis, backend},
			policies: []*networkingv1.NetworkPolicy{
				newPolicy("three-tier", "ranges", map[string]string{"service": "redis"}, rule(nil,
					func() networkingv1.NetworkPolicyPort { p := tcp(8000); end := int32(8080); p.EndPort = &end; return p }(),
					withProto(networkingv1.NetworkPolicyPort{}, corev1.ProtocolUDP),
					withProto(tcp(9000), corev1.ProtocolSCTP),
				)),
				newPolicy("three-tier", "open", map[string]string{"service": "app"}, rule(nil)),
			},
			chains: map[string][]string{
				"pod_three-tier_redis-0": isolated(
					`tcp dport 8000-8080 accept comment "three-tier/ranges ingress[0]"`,
					`meta l4proto udp accept comment "three-tier/ranges ingress[0]"`,
					`sctp dport 9000 accept comment "three-tier/ranges ingress[0]"`,
				),
				"pod_three-tier_backend-1": isolated(`accept comment "three-tier/open ingress[0]"`),
			},
			dispatch: []string{
				"ip daddr vmap { 10.244.0.11 : jump pod_three-tier_backend-1, 10.244.0.10 : jump pod_three-tier_redis-0 }",
			},
		},
		{
			name:     "multiple policies selecting a pod are a union, in namespace/name order",
			pods:     []*corev1.Pod{redis, backend, nginx},
			policies: []*networkingv1.NetworkPolicy{redisFromBackend, denyAll, newPolicy("three-tier", "a-redis-from-nginx", map[string]string{"service": "redis"}, rule([]networkingv1.NetworkPolicyPeer{fromPods(map[string]string{"service": "nginx"})}, tcp(6379)))},
			chains: map[string][]string{
				"pod_three-tier_redis-0": isolated(
					`ip saddr { 10.244.0.12 } tcp dport 6379 accept comment "three-tier/a-redis-from-nginx ingress[0]"`,
					`ip saddr { 10.244.0.11 } tcp dport 6379 accept comment "three-tier/redis-ingress ingress[0]"`,
				),
				"pod_three-tier_backend-1":  isolated(),
				"pod_three-tier_frontend-1": isolated(),
			},
			dispatch: []string{
				"ip daddr vmap { 10.244.0.11 : jump pod_three-tier_backend-1, 10.244.0.12 : jump pod_three-tier_frontend-1, 10.244.0.10 : jump pod_three-tier_redis-0 }",
			},
		},
		{
			name: "pods on other nodes are sources, not targets; pods without IP, host-network and finished pods are neither",
			pods: []*corev1.Pod{
				redis,
				newPod("three-tier", "backend-remote", "10.244.1.5", backendLabels, onNode("node-b")),
				newPod("three-tier", "backend-pending", "", backendLabels),
				newPod("three-tier", "backend-host", "172.31.255.2", backendLabels, hostNetwork),
				newPod("three-tier", "backend-done", "10.244.0.30", backendLabels, phase(corev1.PodSucceeded)),
			},
			policies: []*networkingv1.NetworkPolicy{denyAll, redisFromBackend},
			chains: map[string][]string{
				"pod_three-tier_redis-0":         isolated(`ip saddr { 10.244.1.5 } tcp dport 6379 accept comment "three-tier/redis-ingress ingress[0]"`),
				"pod_three-tier_backend-remote":  nil,
				"pod_three-tier_backend-pending": nil,
				"pod_three-tier_backend-host":    nil,
				"pod_three-tier_backend-done":    nil,
			},
			dispatch: []string{
				"ip daddr vmap { 10.244.0.10 : jump pod_three-tier_redis-0 }",
			},
		},
		{
			name: "dual-stack pod: both families dispatched and admitted",
			pods: []*corev1.Pod{
				newPod("three-tier", "redis-0", "10.244.0.10", redisLabels, alsoIP("fd00:10:244::10")),
				newPod("three-tier", "backend-1", "10.244.0.11", backendLabels, alsoIP("fd00:10:244::11")),
			},
			policies: []*networkingv1.NetworkPolicy{redisFromBackend},
			chains: map[string][]string{
				"pod_three-tier_redis-0": isolated(
					`ip saddr { 10.244.0.11 } tcp dport 6379 accept comment "three-tier/redis-ingress ingress[0]"`,
					`ip6 saddr { fd00:10:244::11 } tcp dport 6379 accept comment "three-tier/redis-ingress ingress[0]"`,
				),
			},
			dispatch: []string{
				"ip daddr vmap { 10.244.0.10 : jump pod_three-tier_redis-0 }",
				"ip6 daddr vmap { fd00:10:244::10 : jump pod_three-tier_redis-0 }",
			},
		},
		{
			name: "a policy of both types isolates both ways; a stale pod with a live pod's IP is dispatched once",
			pods: []*corev1.Pod{redis, newPod("three-tier", "stale", "10.244.0.10", redisLabels)},
			policies: []*networkingv1.NetworkPolicy{func() *networkingv1.NetworkPolicy {
				p := newPolicy("three-tier", "both", nil)
				p.Spec.PolicyTypes = append(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
				return p
			}()},
			chains: map[string][]string{
				"pod_three-tier_redis-0":        isolated(),
				"egress_pod_three-tier_redis-0": egressIsolated(),
				"pod_three-tier_stale":          isolated(),
				"egress_pod_three-tier_stale":   egressIsolated(),
			},
			dispatch: []string{
				"ip daddr vmap { 10.244.0.10 : jump pod_three-tier_redis-0 }",
			},
			egress: []string{
				"ip saddr vmap { 10.244.0.10 : jump egress_pod_three-tier_redis-0 }",
			},
			warnings: []string{
				"three-tier/stale: IP 10.244.0.10 is also three-tier/redis-0's, not dispatched twice",
			},
		},
		{
			name: "egress: every destination crossed with every port returns; only selected pods are dispatched by source",
			pods: []*corev1.Pod{redis, backend, ops},
			policies: []*networkingv1.NetworkPolicy{newEgressPolicy("three-tier", "app-egress", map[string]string{"service": "app"},
				egressRule([]networkingv1.NetworkPolicyPeer{
					fromPods(map[string]string{"service": "redis"}),
					{NamespaceSelector: selector(map[string]string{"team": "ops"})},
				}, tcp(6379), withProto(tcp(53), corev1.ProtocolUDP)),
			)},
			chains: map[string][]string{
				"egress_pod_three-tier_backend-1": egressIsolated(
					`ip daddr { 10.244.0.10 } tcp dport 6379 return comment "three-tier/app-egress egress[0]"`,
					`ip daddr { 10.244.0.10 } udp dport 53 return comment "three-tier/app-egress egress[0]"`,
					`ip daddr { 10.244.0.20 } tcp dport 6379 return comment "three-tier/app-egress egress[0]"`,
					`ip daddr { 10.244.0.20 } udp dport 53 return comment "three-tier/app-egress egress[0]"`,
				),
				// An Egress-only policy leaves ingress open, and pods it does not select stay open.
				"pod_three-tier_backend-1":      nil,
				"egress_pod_three-tier_redis-0": nil,
				"egress_pod_other_ops":          nil,
			},
			egress: []string{
				"ip saddr vmap { 10.244.0.11 : jump egress_pod_three-tier_backend-1 }",
			},
		},
		{
			name: "egress: a rule without `to` is every destination, one without `ports` every port",
			pods: []*corev1.Pod{redis, backend},
			policies: []*networkingv1.NetworkPolicy{newEgressPolicy("three-tier", "dns-and-redis", map[string]string{"service": "app"},
				egressRule(nil, withProto(tcp(53), corev1.ProtocolUDP), tcp(53)),
				egressRule([]networkingv1.NetworkPolicyPeer{fromPods(map[string]string{"service": "redis"})}),
			)},
			chains: map[string][]string{
				"egress_pod_three-tier_backend-1": egressIsolated(
					`udp dport 53 return comment "three-tier/dns-and-redis egress[0]"`,
					`tcp dport 53 return comment "three-tier/dns-and-redis egress[0]"`,
					`ip daddr { 10.244.0.10 } return comment "three-tier/dns-and-redis egress[1]"`,
				),
			},
			egress: []string{
				"ip saddr vmap { 10.244.0.11 : jump egress_pod_three-tier_backend-1 }",
			},
		},
		{
			name: "egress: ipBlock with except matches the destination address",
			pods: []*corev1.Pod{backend},
			policies: []*networkingv1.NetworkPolicy{newEgressPolicy("three-tier", "blocks", nil, egressRule(
				[]networkingv1.NetworkPolicyPeer{ipBlock("10.0.0.0/8", "10.244.0.0/16", "10.1.2.3/32", "10.244.1.0/24"), ipBlock("fd00::/8")},
				tcp(443),
			))},
			chains: map[string][]string{
				"egress_pod_three-tier_backend-1": egressIsolated(
					`ip daddr 10.0.0.0/8 ip daddr != { 10.1.2.3/32, 10.244.0.0/16 } tcp dport 443 return comment "three-tier/blocks egress[0]"`,
					`ip6 daddr fd00::/8 tcp dport 443 return comment "three-tier/blocks egress[0]"`,
				),
			},
			egress: []string{
				"ip saddr vmap { 10.244.0.11 : jump egress_pod_three-tier_backend-1 }",
			},
		},
		{
			name:     "egress: policy type Egress without rules allows nothing out",
			pods:     []*corev1.Pod{redis, backend, ops},
			policies: []*networkingv1.NetworkPolicy{newEgressPolicy("three-tier", "deny-egress", nil)},
			chains: map[string][]string{
				"egress_pod_three-tier_redis-0":   egressIsolated(),
				"egress_pod_three-tier_backend-1": egressIsolated(),
				"egress_pod_other_ops":            nil,
				"pod_three-tier_redis-0":          nil,
			},
			egress: []string{
				"ip saddr vmap { 10.244.0.11 : jump egress_pod_three-tier_backend-1, 10.244.0.10 : jump egress_pod_three-tier_redis-0 }",
			},
		},
		{
			name: "egress: named ports resolve per destination pod, with that pod's address",
			pods: []*corev1.Pod{redis, backend, intruder,
				newPod("other", "ops", "10.244.0.20", nil, containerPort("http", 8080, "")),
				newPod("other", "ops-2", "10.244.0.21", nil, containerPort("http", 8080, corev1.ProtocolTCP)),
			},
			policies: []*networkingv1.NetworkPolicy{newEgressPolicy("three-tier", "named-egress", map[string]string{"run": "x"},
				egressRule([]networkingv1.NetworkPolicyPeer{fromPods(map[string]string{"app": "web"})}, named("redis"), named("http")),
				egressRule(nil, named("http")),
				egressRule([]networkingv1.NetworkPolicyPeer{ipBlock("10.244.0.0/24", "10.244.0.11/32")}, named("http")),
				egressRule(nil, withProto(named("redis"), corev1.ProtocolUDP)),
			)},
			chains: map[string][]string{
				"egress_pod_three-tier_intruder": egressIsolated(
					`ip daddr { 10.244.0.10 } tcp dport 6379 return comment "three-tier/named-egress egress[0]"`,
					`ip daddr { 10.244.0.11 } tcp dport 1323 return comment "three-tier/named-egress egress[0]"`,
					`ip daddr { 10.244.0.11 } tcp dport 1323 return comment "three-tier/named-egress egress[1]"`,
					`ip daddr { 10.244.0.20, 10.244.0.21 } tcp dport 8080 return comment "three-tier/named-egress egress[1]"`,
					`ip daddr { 10.244.0.20, 10.244.0.21 } tcp dport 8080 return comment "three-tier/named-egress egress[2]"`,
				),
			},
			egress: []string{
				"ip saddr vmap { 10.244.0.13 : jump egress_pod_three-tier_intruder }",
			},
		},
		{
			name: "egress: rules without policyTypes make it both ways; dual-stack; pods on other nodes are destinations, not sources",
			pods: []*corev1.Pod{
				newPod("three-tier", "redis-0", "10.244.0.10", redisLabels, alsoIP("fd00:10:244::10")),
				newPod("three-tier", "backend-remote", "10.244.1.5", backendLabels, onNode("node-b"), alsoIP("fd00:10:244:1::5")),
			},
			policies: []*networkingv1.NetworkPolicy{func() *networkingv1.NetworkPolicy {
				p := newPolicy("three-tier", "web", map[string]string{"app": "web"}, rule(nil, tcp(6379)))
				p.Spec.PolicyTypes = nil
				p.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{egressRule([]networkingv1.NetworkPolicyPeer{fromPods(map[string]string{"service": "app"})})}
				return p
			}()},
			chains: map[string][]string{
				"pod_three-tier_redis-0": isolated(`tcp dport 6379 accept comment "three-tier/web ingress[0]"`),
				"egress_pod_three-tier_redis-0": egressIsolated(
					`ip daddr { 10.244.1.5 } return comment "three-tier/web egress[0]"`,
					`ip6 daddr { fd00:10:244:1::5 } return comment "three-tier/web egress[0]"`,
				),
				"egress_pod_three-tier_backend-remote": nil,
			},
			dispatch: []string{
				"ip daddr vmap { 10.244.0.10 : jump pod_three-tier_redis-0 }",
				"ip6 daddr vmap { fd00:10:244::10 : jump pod_three-tier_redis-0 }",
			},
			egress: []string{
				"ip saddr vmap { 10.244.0.10 : jump egress_pod_three-tier_redis-0 }",
				"ip6 saddr vmap { fd00:10:244::10 : jump egress_pod_three-tier_redis-0 }",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := Render(Input{
				Table: "t", NodeName: node, Pods: tc.pods, Policies: tc.policies,
				Namespaces: append([]*corev1.Namespace{tier, other}, tc.namespaces...),
			})
			for chain, want := range tc.chains {
				if got := chainLines(res.Script, chain); !slices.Equal(got, want) {
					t.Errorf("chain %s:\n got %q\nwant %q", chain, got, want)
				}
			}
			head := []string{"ct state established,related accept", "icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept"}
			if got, want := chainLines(res.Script, "ingress"), slices.Concat(head, tc.dispatch); !slices.Equal(got, want) {
				t.Errorf("chain ingress:\n got %q\nwant %q", got, want)
			}
			if got, want := chainLines(res.Script, "egress"), slices.Concat(head, tc.egress); !slices.Equal(got, want) {
				t.Errorf("chain egress:\n got %q\nwant %q", got, want)
			}
			if !slices.Equal(res.Warnings, tc.warnings) {
				t.Errorf("warnings:\n got %q\nwant %q", res.Warnings, tc.warnings)
			}
		})
	}
}

// The program's own policies (components/app.ts, stateless-tier.ts, redis.ts) rendered in full.
func TestRenderTheProgramsPolicies(t *testing.T) {
	in := Input{
		Table:    DefaultTable,
		NodeName: node,
		NodeIPs:  []netip.Addr{netip.MustParseAddr("172.31.255.2"), netip.MustParseAddr("10.244.0.1"), netip.MustParseAddr("::ffff:10.244.0.1")},
		Namespaces: []*corev1.Namespace{
			newNamespace("three-tier", nil),
		},
		Pods: []*corev1.Pod{
			newPod("three-tier", "redis-0", "10.244.0.10", redisLabels),
			newPod("three-tier", "backend-a", "10.244.0.11", backendLabels),
			newPod("three-tier", "frontend-a", "10.244.0.12", nginxLabels),
		},
		Policies: []*networkingv1.NetworkPolicy{
			newPolicy("three-tier", "default-deny-ingress", nil),
			newPolicy("three-tier", "redis-ingress", map[string]string{"app": "web", "service": "redis"},
				rule([]networkingv1.NetworkPolicyPeer{fromPods(map[string]string{"app": "web", "service": "app"})}, tcp(6379))),
			newPolicy("three-tier", "app-ingress", map[string]string{"app": "web", "service": "app"},
				rule([]networkingv1.NetworkPolicyPeer{fromPods(map[string]string{"app": "web", "service": "nginx"})}, tcp(1323))),
			newPolicy("three-tier", "nginx-ingress", map[string]string{"app": "web", "service": "nginx"}, rule(nil, tcp(8080))),
		},
	}
	want := `table inet three-tier-netpol
delete table inet three-tier-netpol
table inet three-tier-netpol {
	set node_ips_v4 {
		type ipv4_addr
		elements = { 10.244.0.1, 172.31.255.2 }
	}
	set node_ips_v6 {
		type ipv6_addr
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		jump egress
		jump ingress
	}
	chain input {
		type filter hook input priority filter; policy accept;
		jump egress
	}
	chain output {
		type filter hook output priority filter; policy accept;
		jump ingress
	}
	chain egress {
		ct state established,related accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
	}
	chain ingress {
		ct state established,related accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
		ip daddr vmap { 10.244.0.11 : jump pod_three-tier_backend-a, 10.244.0.12 : jump pod_three-tier_frontend-a, 10.244.0.10 : jump pod_three-tier_redis-0 }
	}
	chain pod_three-tier_backend-a {
		ip saddr @node_ips_v4 accept
		ip6 saddr @node_ips_v6 accept
		ip saddr { 10.244.0.12 } tcp dport 1323 accept comment "three-tier/app-ingress ingress[0]"
		counter drop
	}
	chain pod_three-tier_frontend-a {
		ip saddr @node_ips_v4 accept
		ip6 saddr @node_ips_v6 accept
		tcp dport 8080 accept comment "three-tier/nginx-ingress ingress[0]"
		counter drop
	}
	chain pod_three-tier_redis-0 {
		ip saddr @node_ips_v4 accept
		ip6 saddr @node_ips_v6 accept
		ip saddr { 10.244.0.11 } tcp dport 6379 accept comment "three-tier/redis-ingress ingress[0]"
		counter drop
	}
}
`
	rendersExactly(t, in, want)
}

// rendersExactly checks the script of in, without warnings, and that the order of the informers'
// lists does not change it.
func rendersExactly(t *testing.T, in Input, want string) {
	t.Helper()
	got := Render(in)
	if got.Script != want {
		t.Errorf("script:\n%s\nwant:\n%s", got.Script, want)
	}
	if len(got.Warnings) != 0 {
		t.Errorf("warnings: %q", got.Warnings)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20 {
		rng.Shuffle(len(in.Pods), func(i, j int) { in.Pods[i], in.Pods[j] = in.Pods[j], in.Pods[i] })
		rng.Shuffle(len(in.Policies), func(i, j int) { in.Policies[i], in.Policies[j] = in.Policies[j], in.Policies[i] })
		rng.Shuffle(len(in.NodeIPs), func(i, j int) { in.NodeIPs[i], in.NodeIPs[j] = in.NodeIPs[j], in.NodeIPs[i] })
		if again := Render(in).Script; again != want {
			t.Fatalf("shuffled input rendered differently:\n%s", again)
		}
	}
}

// Egress in full: the forward hook checks the source pod's egress before the destination's ingress,
// the input hook (pods to the node, e.g. DNS) checks egress only, and the node's own traffic (output)
// only the destination's ingress. An allowed egress returns so that ingress still applies.
func TestRenderEgress(t *testing.T) {
	in := Input{
		Table:      DefaultTable,
		NodeName:   node,
		NodeIPs:    []netip.Addr{netip.MustParseAddr("172.31.255.2"), netip.MustParseAddr("fd00:10:244::1")},
		Namespaces: []*corev1.Namespace{newNamespace("three-tier", nil)},
		Pods: []*corev1.Pod{
			newPod("three-tier", "redis-0", "10.244.0.10", redisLabels, containerPort("redis", 6379, "")),
			newPod("three-tier", "backend-a", "10.244.0.11", backendLabels),
		},
		Policies: []*networkingv1.NetworkPolicy{
			newPolicy("three-tier", "redis-ingress", map[string]string{"service": "redis"},
				rule([]networkingv1.NetworkPolicyPeer{fromPods(map[string]string{"service": "app"})}, tcp(6379))),
			newEgressPolicy("three-tier", "app-egress", map[string]string{"service": "app"},
				egressRule([]networkingv1.NetworkPolicyPeer{fromPods(map[string]string{"service": "redis"})}, named("redis")),
				egressRule([]networkingv1.NetworkPolicyPeer{ipBlock("172.31.255.2/32")}, withProto(tcp(53), corev1.ProtocolUDP), tcp(53)),
			),
		},
	}
	want := `table inet three-tier-netpol
delete table inet three-tier-netpol
table inet three-tier-netpol {
	set node_ips_v4 {
		type ipv4_addr
		elements = { 172.31.255.2 }
	}
	set node_ips_v6 {
		type ipv6_addr
		elements = { fd00:10:244::1 }
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		jump egress
		jump ingress
	}
	chain input {
		type filter hook input priority filter; policy accept;
		jump egress
	}
	chain output {
		type filter hook output priority filter; policy accept;
		jump ingress
	}
	chain egress {
		ct state established,related accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
		ip saddr vmap { 10.244.0.11 : jump egress_pod_three-tier_backend-a }
	}
	chain ingress {
		ct state established,related accept
		icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
		ip daddr vmap { 10.244.0.10 : jump pod_three-tier_redis-0 }
	}
	chain egress_pod_three-tier_backend-a {
		ip daddr { 10.244.0.10 } tcp dport 6379 return comment "three-tier/app-egress egress[0]"
		ip daddr 172.31.255.2/32 udp dport 53 return comment "three-tier/app-egress egress[1]"
		ip daddr 172.31.255.2/32 tcp dport 53 return comment "three-tier/app-egress egress[1]"
		counter drop
	}
	chain pod_three-tier_redis-0 {
		ip saddr @node_ips_v4 accept
		ip6 saddr @node_ips_v6 accept
		ip saddr { 10.244.0.11 } tcp dport 6379 accept comment "three-tier/redis-ingress ingress[0]"
		counter drop
	}
}
`
	rendersExactly(t, in, want)
}

func TestLongPodNamesGetAHashedChain(t *testing.T) {
	long := strings.Repeat("a", 250)
	policy := newPolicy("three-tier", long, nil, rule(nil))
	policy.Spec.PolicyTypes = append(policy.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
	policy.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{egressRule(nil)}
	res := Render(Input{
		Table: "t", NodeName: node,
		Pods:     []*corev1.Pod{newPod("three-tier", long, "10.244.0.10", nil)},
		Policies: []*networkingv1.NetworkPolicy{policy},
	})
	ingress := regexp.MustCompile(`jump (pod_\S+) }`).FindStringSubmatch(res.Script)
	egress := regexp.MustCompile(`jump (egress_pod_\S+) }`).FindStringSubmatch(res.Script)
	for _, chain := range [][]string{ingress, egress} {
		if chain == nil || len(chain[1]) > maxChainName || chainLines(res.Script, chain[1]) == nil {
			t.Fatalf("no usable chain for a long name:\n%s", res.Script)
		}
	}
	comments := regexp.MustCompile(`comment "([^"]*)"`).FindAllStringSubmatch(res.Script, -1)
	if len(comments) != 2 {
		t.Fatalf("want an ingress and an egress comment, got %q", comments)
	}
	for _, c := range comments {
		if len(c[1]) > maxComment {
			t.Fatalf("comment too long: %q", c[1])
		}
	}
}
