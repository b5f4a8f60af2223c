// Package render turns Kubernetes NetworkPolicies into one nftables table, as a pure function of the
// objects it is given: no cluster, no kernel. The caller applies the script with `nft -f -`.
//
// Shape of the table: base chains on the forward hook (routed traffic, and bridged pod-to-pod traffic
// when bridge-nf-call-iptables is on) and the output hook (the node's own traffic, e.g. kubelet
// probes) jump to "ingress". It accepts established/related packets and IPv6 neighbour discovery,
// and sends new packets addressed to an isolated pod on this node to that pod's chain through a
// verdict map. A pod chain accepts the node's own addresses, then each allowed (peer, port) pair, and
// drops the rest. Pods no policy isolates are not in the map and fall through to the base chains'
// accept policy.
package render

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DefaultTable is the name of the inet table the enforcer owns.
const DefaultTable = "three-tier-netpol"

// Under nftables' limits: chain names 256 bytes with the NUL, rule comments 128.
const (
	maxChainName = 200
	maxComment   = 120
)

// Input is everything a render depends on.
type Input struct {
	// Table is the name of the inet table to (re)create.
	Table string
	// NodeName selects the pods to enforce: only pods scheduled on this node get a chain.
	NodeName string
	// NodeIPs are the addresses of the node's network namespace. Traffic from them is always allowed,
	// as Kubernetes requires for kubelet probes.
	NodeIPs    []netip.Addr
	Pods       []*corev1.Pod
	Namespaces []*corev1.Namespace
	Policies   []*networkingv1.NetworkPolicy
}

// Result is the nft script and what the render could not enforce, for the caller to log.
type Result struct {
	// Script replaces the whole table in one transaction: add (so that delete cannot fail), delete, define.
	Script   string
	Warnings []string
}

// DeleteScript removes the table; adding it first makes the delete succeed when it is already gone.
func DeleteScript(table string) string {
	return fmt.Sprintf("table inet %s\ndelete table inet %s\n", table, table)
}

type compiledPolicy struct {
	policy   *networkingv1.NetworkPolicy
	selector labels.Selector
}

type renderer struct {
	in         Input
	nsLabels   map[string]labels.Set
	claimedIPs map[netip.Addr]string // pod IP → the pod whose chain it dispatches to
	peers      []*corev1.Pod         // pods that can be a source: have an IP, not host-network, not finished
	policies   []compiledPolicy
	warnings   []string
	podChains  []string
	dispatchV4 []string
	dispatchV6 []string
}

// Render builds the script for in. Its output depends only on in, not on the order of its slices.
func Render(in Input) Result {
	r := &renderer{in: in, nsLabels: map[string]labels.Set{}, claimedIPs: map[netip.Addr]string{}}
	for _, ns := range in.Namespaces {
		r.nsLabels[ns.Name] = labels.Set(ns.Labels)
	}
	for _, pod := range sortedPods(in.Pods) {
		if len(podIPs(pod)) > 0 {
			r.peers = append(r.peers, pod)
		}
	}
	r.compilePolicies()
	for _, pod := range r.peers {
		if pod.Spec.NodeName == in.NodeName {
			r.renderPod(pod)
		}
	}
	return Result{Script: r.script(), Warnings: r.warnings}
}

func sortedPods(pods []*corev1.Pod) []*corev1.Pod {
	out := slices.Clone(pods)
	slices.SortFunc(out, func(a, b *corev1.Pod) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// podIPs are the addresses policy applies to; none for host-network pods (they are the node) and for
// finished pods (their IPs may already belong to a new pod).
func podIPs(pod *corev1.Pod) []netip.Addr {
	if pod.Spec.HostNetwork || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return nil
	}
	var ips []netip.Addr
	for _, ip := range pod.Status.PodIPs {
		if addr, err := netip.ParseAddr(ip.IP); err == nil {
			ips = append(ips, addr.Unmap())
		}
	}
	if len(ips) == 0 && pod.Status.PodIP != "" {
		if addr, err := netip.ParseAddr(pod.Status.PodIP); err == nil {
			ips = append(ips, addr.Unmap())
		}
	}
	return ips
}

func (r *renderer) warnf(format string, args ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, args...))
}

// compilePolicies keeps the policies with an ingress side, sorted by namespace/name, and warns about
// the egress sides, which this enforcer does not implement.
func (r *renderer) compilePolicies() {
	policies := slices.Clone(r.in.Policies)
	slices.SortFunc(policies, func(a, b *networkingv1.NetworkPolicy) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	for _, p := range policies {
		ingress, egress := policyTypes(p)
		if egress {
			r.warnf("%s/%s: egress is not enforced by this enforcer; only its ingress side applies", p.Namespace, p.Name)
		}
		if !ingress {
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		if err != nil {
			r.warnf("%s/%s: invalid podSelector, policy ignored: %v", p.Namespace, p.Name, err)
			continue
		}
		r.policies = append(r.policies, compiledPolicy{policy: p, selector: sel})
	}
}

// policyTypes applies the API's defaulting: without policyTypes, Ingress always and Egress when the
// policy has egress rules.
func policyTypes(p *networkingv1.NetworkPolicy) (ingress, egress bool) {
	if len(p.Spec.PolicyTypes) == 0 {
		return true, len(p.Spec.Egress) > 0
	}
	return slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeIngress),
		slices.Contains(p.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
}

func chainName(pod *corev1.Pod) string {
	// "_" cannot occur in Kubernetes names, so the name is unambiguous.
	name := "pod_" + pod.Namespace + "_" + pod.Name
	if len(name) <= maxChainName {
		return name
	}
	sum := sha256.Sum256([]byte(pod.Namespace + "/" + pod.Name))
	return "pod_" + hex.EncodeToString(sum[:12])
}

// renderPod writes the chain of an isolated pod and its dispatch entries; a pod no policy selects
// stays open.
func (r *renderer) renderPod(pod *corev1.Pod) {
	var selecting []compiledPolicy
	for _, cp := range r.policies {
		if cp.policy.Namespace == pod.Namespace && cp.selector.Matches(labels.Set(pod.Labels)) {
			selecting = append(selecting, cp)
		}
	}
	if len(selecting) == 0 {
		return
	}
	chain := chainName(pod)
	var b strings.Builder
	fmt.Fprintf(&b, "\tchain %s {\n", chain)
	b.WriteString("\t\tip saddr @node_ips_v4 accept\n")
	b.WriteString("\t\tip6 saddr @node_ips_v6 accept\n")
	for _, cp := range selecting {
		for i, rule := range cp.policy.Spec.Ingress {
			comment := fmt.Sprintf("%s/%s ingress[%d]", cp.policy.Namespace, cp.policy.Name, i)
			if len(comment) > maxComment {
				comment = comment[:maxComment]
			}
			for _, line := range r.ruleLines(cp.policy, rule, pod) {
				fmt.Fprintf(&b, "\t\t%s accept comment %q\n", line, comment)
			}
		}
	}
	b.WriteString("\t\tcounter drop\n\t}\n")
	r.podChains = append(r.podChains, b.String())
	for _, ip := range podIPs(pod) {
		// Two live pods never share an IP, but a deleted pod can linger in the cache: a duplicate key
		// would fail the whole transaction, so the first pod keeps it.
		if owner, taken := r.claimedIPs[ip]; taken {
			r.warnf("%s/%s: IP %s is also %s's, not dispatched twice", pod.Namespace, pod.Name, ip, owner)
			continue
		}
		r.claimedIPs[ip] = pod.Namespace + "/" + pod.Name
		entry := fmt.Sprintf("%s : jump %s", ip, chain)
		if ip.Is4() {
			r.dispatchV4 = append(r.dispatchV4, entry)
		} else {
			r.dispatchV6 = append(r.dispatchV6, entry)
		}
	}
}

// ruleLines are the match expressions of one ingress rule for one target pod: every source match
// crossed with every port match. An empty list means the rule admits nothing.
func (r *renderer) ruleLines(p *networkingv1.NetworkPolicy, rule networkingv1.NetworkPolicyIngressRule, target *corev1.Pod) []string {
	sources := []string{""} // no `from`: every source
	if len(rule.From) > 0 {
		sources = nil
		for _, peer := range rule.From {
			sources = append(sources, r.peerMatches(p, peer)...)
		}
	}
	ports := []string{""} // no `ports`: every port
	if len(rule.Ports) > 0 {
		ports = nil
		for _, port := range rule.Ports {
			ports = append(ports, portMatches(port, target)...)
		}
	}
	var lines []string
	for _, src := range sources {
		for _, port := range ports {
			lines = append(lines, strings.TrimSpace(src+" "+port))
		}
	}
	return lines
}

// peerMatches are source matches for one peer, one per address family that has addresses.
func (r *renderer) peerMatches(p *networkingv1.NetworkPolicy, peer networkingv1.NetworkPolicyPeer) []string {
	if peer.IPBlock != nil {
		return r.ipBlockMatches(p, peer.IPBlock)
	}
	var v4, v6 []string
	for _, ip := range r.peerIPs(p, peer) {
		if ip.Is4() {
			v4 = append(v4, ip.String())
		} else {
			v6 = append(v6, ip.String())
		}
	}
	var out []string
	if len(v4) > 0 {
		out = append(out, "ip saddr "+setOf(v4))
	}
	if len(v6) > 0 {
		out = append(out, "ip6 saddr "+setOf(v6))
	}
	return out
}

// peerIPs are the addresses of the pods a selector peer names, sorted and without duplicates.
func (r *renderer) peerIPs(p *networkingv1.NetworkPolicy, peer networkingv1.NetworkPolicyPeer) []netip.Addr {
	podSel, nsSel := labels.Everything(), labels.Nothing()
	var err error
	if peer.PodSelector != nil {
		if podSel, err = metav1.LabelSelectorAsSelector(peer.PodSelector); err != nil {
			r.warnf("%s/%s: invalid podSelector in a peer, peer ignored: %v", p.Namespace, p.Name, err)
			return nil
		}
	}
	if peer.NamespaceSelector != nil {
		if nsSel, err = metav1.LabelSelectorAsSelector(peer.NamespaceSelector); err != nil {
			r.warnf("%s/%s: invalid namespaceSelector in a peer, peer ignored: %v", p.Namespace, p.Name, err)
			return nil
		}
	}
	var ips []netip.Addr
	for _, pod := range r.peers {
		inNamespace := pod.Namespace == p.Namespace
		if peer.NamespaceSelector != nil {
			nsLabels, known := r.nsLabels[pod.Namespace]
			inNamespace = known && nsSel.Matches(nsLabels)
		}
		if inNamespace && podSel.Matches(labels.Set(pod.Labels)) {
			ips = append(ips, podIPs(pod)...)
		}
	}
	slices.SortFunc(ips, netip.Addr.Compare)
	return slices.Compact(ips)
}

func (r *renderer) ipBlockMatches(p *networkingv1.NetworkPolicy, block *networkingv1.IPBlock) []string {
	cidr, err := netip.ParsePrefix(block.CIDR)
	if err != nil {
		r.warnf("%s/%s: invalid ipBlock cidr %q, peer ignored", p.Namespace, p.Name, block.CIDR)
		return nil
	}
	cidr = cidr.Masked()
	family := "ip"
	if cidr.Addr().Is6() {
		family = "ip6"
	}
	var excepts []netip.Prefix
	for _, e := range block.Except {
		ex, err := netip.ParsePrefix(e)
		if err != nil || ex.Addr().Is4() != cidr.Addr().Is4() {
			r.warnf("%s/%s: invalid ipBlock except %q, peer ignored", p.Namespace, p.Name, e)
			return nil
		}
		excepts = append(excepts, ex.Masked())
	}
	match := fmt.Sprintf("%s saddr %s", family, cidr)
	if excepts = disjoint(excepts); len(excepts) > 0 {
		strs := make([]string, len(excepts))
		for i, ex := range excepts {
			strs[i] = ex.String()
		}
		match += fmt.Sprintf(" %s saddr != %s", family, setOf(strs))
	}
	return []string{match}
}

// disjoint sorts prefixes and drops those inside another, since an nft interval set refuses overlaps.
func disjoint(prefixes []netip.Prefix) []netip.Prefix {
	slices.SortFunc(prefixes, func(a, b netip.Prefix) int {
		return cmp.Or(a.Addr().Compare(b.Addr()), cmp.Compare(a.Bits(), b.Bits()))
	})
	var out []netip.Prefix
	for _, p := range prefixes {
		if len(out) > 0 && out[len(out)-1].Contains(p.Addr()) {
			continue // sorted by address then length: a containing prefix comes first
		}
		out = append(out, p)
	}
	return out
}

// portMatches resolves one port entry for a target pod: a named port becomes that pod's container
// port of the same name and protocol, or matches nothing when the pod has none.
func portMatches(port networkingv1.NetworkPolicyPort, target *corev1.Pod) []string {
	proto := corev1.ProtocolTCP
	if port.Protocol != nil {
		proto = *port.Protocol
	}
	l4 := strings.ToLower(string(proto))
	if port.Port == nil {
		return []string{"meta l4proto " + l4}
	}
	if port.Port.Type == intstr.String {
		numbers := namedPort(target, port.Port.StrVal, proto)
		out := make([]string, len(numbers))
		for i, n := range numbers {
			out[i] = fmt.Sprintf("%s dport %d", l4, n)
		}
		return out
	}
	if port.EndPort != nil && *port.EndPort > port.Port.IntVal {
		return []string{fmt.Sprintf("%s dport %d-%d", l4, port.Port.IntVal, *port.EndPort)}
	}
	return []string{fmt.Sprintf("%s dport %d", l4, port.Port.IntVal)}
}

func namedPort(pod *corev1.Pod, name string, proto corev1.Protocol) []int32 {
	var numbers []int32
	for _, containers := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
		for _, c := range containers {
			for _, cp := range c.Ports {
				if cp.Name == name && cmp.Or(cp.Protocol, corev1.ProtocolTCP) == proto {
					numbers = append(numbers, cp.ContainerPort)
				}
			}
		}
	}
	slices.Sort(numbers)
	return slices.Compact(numbers)
}

func setOf(elements []string) string {
	return "{ " + strings.Join(elements, ", ") + " }"
}

func nodeIPSet(name, typ string, ips []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\tset %s {\n\t\ttype %s\n", name, typ)
	if len(ips) > 0 {
		fmt.Fprintf(&b, "\t\telements = %s\n", setOf(ips))
	}
	b.WriteString("\t}\n")
	return b.String()
}

func (r *renderer) script() string {
	nodeIPs := make([]netip.Addr, len(r.in.NodeIPs))
	for i, ip := range r.in.NodeIPs {
		nodeIPs[i] = ip.Unmap()
	}
	slices.SortFunc(nodeIPs, netip.Addr.Compare)
	var v4, v6 []string
	for _, ip := range slices.Compact(nodeIPs) {
		if ip.Is4() {
			v4 = append(v4, ip.String())
		} else {
			v6 = append(v6, ip.String())
		}
	}
	var b strings.Builder
	b.WriteString(DeleteScript(r.in.Table))
	fmt.Fprintf(&b, "table inet %s {\n", r.in.Table)
	b.WriteString(nodeIPSet("node_ips_v4", "ipv4_addr", v4))
	b.WriteString(nodeIPSet("node_ips_v6", "ipv6_addr", v6))
	// priority filter (0): after kube-proxy's DNAT (dstnat, -100), so daddr and dport are the pod's.
	for _, hook := range []string{"forward", "output"} {
		fmt.Fprintf(&b, "\tchain %s {\n\t\ttype filter hook %s priority filter; policy accept;\n\t\tjump ingress\n\t}\n", hook, hook)
	}
	// Neighbour discovery is IPv6's ARP: conntrack does not track it, and a pod that cannot answer it
	// cannot be reached at all, even where a policy allows it.
	b.WriteString("\tchain ingress {\n\t\tct state established,related accept\n" +
		"\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n")
	if len(r.dispatchV4) > 0 {
		fmt.Fprintf(&b, "\t\tip daddr vmap %s\n", setOf(r.dispatchV4))
	}
	if len(r.dispatchV6) > 0 {
		fmt.Fprintf(&b, "\t\tip6 daddr vmap %s\n", setOf(r.dispatchV6))
	}
	b.WriteString("\t}\n")
	for _, chain := range r.podChains {
		b.WriteString(chain)
	}
	b.WriteString("}\n")
	return b.String()
}
