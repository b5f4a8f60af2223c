// Package render turns Kubernetes NetworkPolicies into one nftables table, as a pure function of the
// objects it is given: no cluster, no kernel. The caller applies the script with `nft -f -`.
//
// Shape of the table: three base chains. The forward hook (routed traffic, and bridged pod-to-pod
// traffic when bridge-nf-call-iptables is on) jumps to "egress", then to "ingress"; the input hook
// (pods to the node's own addresses, e.g. CoreDNS on the node IP) jumps to "egress"; the output hook
// (the node's own traffic, e.g. kubelet probes) jumps to "ingress" only, as no policy limits the node.
// The chains "egress" and "ingress" accept established/related packets and IPv6 neighbour discovery.
// "egress" sends new packets from a pod on this node that a policy isolates for egress to that pod's
// egress chain through a verdict map on the source address; "ingress" sends new packets addressed to
// a pod on this node isolated for ingress to that pod's ingress chain through a verdict map on the
// destination address.
//
// An egress chain returns for each allowed (destination, port) pair and drops the rest. It returns
// rather than accepts because an accept ends the base chain: the packet would never reach "ingress",
// where the destination pod's own policies are checked. An ingress chain accepts the node's own
// addresses, then each allowed (source, port) pair, and drops the rest. Pods no policy isolates are
// not in the maps and fall through to the base chains' accept policy.
package render

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
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
	policy          *networkingv1.NetworkPolicy
	selector        labels.Selector
	ingress, egress bool // its policy types
}

// dispatch is a verdict map's entries, per address family: an address and the chain it jumps to.
type dispatch struct{ v4, v6 []string }

func (d *dispatch) add(ips []netip.Addr, chain string) {
	for _, ip := range ips {
		entry := fmt.Sprintf("%s : jump %s", ip, chain)
		if ip.Is4() {
			d.v4 = append(d.v4, entry)
		} else {
			d.v6 = append(d.v6, entry)
		}
	}
}

type renderer struct {
	in              Input
	nsLabels        map[string]labels.Set
	claimedIPs      map[netip.Addr]string // pod IP → the pod whose chains it dispatches to
	peers           []*corev1.Pod         // pods that can be a peer: have an IP, not host-network, not finished
	policies        []compiledPolicy
	warnings        []string
	podChains       []string
	ingressDispatch dispatch // by destination address
	egressDispatch  dispatch // by source address
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

// compilePolicies keeps the valid policies, sorted by namespace/name.
func (r *renderer) compilePolicies() {
	policies := slices.Clone(r.in.Policies)
	slices.SortFunc(policies, func(a, b *networkingv1.NetworkPolicy) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	for _, p := range policies {
		ingress, egress := policyTypes(p)
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.PodSelector)
		if err != nil {
			r.warnf("%s/%s: invalid podSelector, policy ignored: %v", p.Namespace, p.Name, err)
			continue
		}
		r.policies = append(r.policies, compiledPolicy{policy: p, selector: sel, ingress: ingress, egress: egress})
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

// Prefixes of the pods' chains. Neither is a prefix of the other nor of a base chain's name, so every
// chain name is unique.
const (
	ingressChainPrefix = "pod_"
	egressChainPrefix  = "egress_pod_"
)

func chainName(prefix string, pod *corev1.Pod) string {
	// "_" cannot occur in Kubernetes names, so the name is unambiguous.
	name := prefix + pod.Namespace + "_" + pod.Name
	if len(name) <= maxChainName {
		return name
	}
	sum := sha256.Sum256([]byte(pod.Namespace + "/" + pod.Name))
	return prefix + hex.EncodeToString(sum[:12])
}

// renderPod writes the ingress and egress chains of a pod, for each side some policy isolates it on,
// and their dispatch entries; a side no policy selects the pod for stays open.
func (r *renderer) renderPod(pod *corev1.Pod) {
	var ingress, egress []*networkingv1.NetworkPolicy
	for _, cp := range r.policies {
		if cp.policy.Namespace != pod.Namespace || !cp.selector.Matches(labels.Set(pod.Labels)) {
			continue
		}
		if cp.ingress {
			ingress = append(ingress, cp.policy)
		}
		if cp.egress {
			egress = append(egress, cp.policy)
		}
	}
	if len(ingress) == 0 && len(egress) == 0 {
		return
	}
	ips := r.claim(pod)
	if len(ingress) > 0 {
		chain := chainName(ingressChainPrefix, pod)
		lines := []string{"ip saddr @node_ips_v4 accept", "ip6 saddr @node_ips_v6 accept"}
		for _, p := range ingress {
			for i, rule := range p.Spec.Ingress {
				lines = append(lines, allowLines(r.ingressLines(p, rule, pod), "accept", p, "ingress", i)...)
			}
		}
		r.podChains = append(r.podChains, podChain(chain, lines))
		r.ingressDispatch.add(ips, chain)
	}
	if len(egress) > 0 {
		chain := chainName(egressChainPrefix, pod)
		var lines []string
		for _, p := range egress {
			for i, rule := range p.Spec.Egress {
				lines = append(lines, allowLines(r.egressLines(p, rule), "return", p, "egress", i)...)
			}
		}
		r.podChains = append(r.podChains, podChain(chain, lines))
		r.egressDispatch.add(ips, chain)
	}
}

// claim returns the pod's IPs that no pod before it dispatches. Two live pods never share an IP, but a
// deleted pod can linger in the cache: a duplicate key would fail the whole transaction, so the first
// pod keeps it.
func (r *renderer) claim(pod *corev1.Pod) []netip.Addr {
	var ips []netip.Addr
	for _, ip := range podIPs(pod) {
		if owner, taken := r.claimedIPs[ip]; taken {
			r.warnf("%s/%s: IP %s is also %s's, not dispatched twice", pod.Namespace, pod.Name, ip, owner)
			continue
		}
		r.claimedIPs[ip] = pod.Namespace + "/" + pod.Name
		ips = append(ips, ip)
	}
	return ips
}

// allowLines turn the match expressions of rule i of policy p into rules with the verdict, commented
// with the policy rule they come from.
func allowLines(matches []string, verdict string, p *networkingv1.NetworkPolicy, side string, i int) []string {
	comment := fmt.Sprintf("%s/%s %s[%d]", p.Namespace, p.Name, side, i)
	if len(comment) > maxComment {
		comment = comment[:maxComment]
	}
	lines := make([]string, len(matches))
	for j, m := range matches {
		lines[j] = fmt.Sprintf("%s comment %q", strings.TrimSpace(m+" "+verdict), comment)
	}
	return lines
}

// podChain is a pod's chain: its lines, then a drop of everything they let through.
func podChain(name string, lines []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\tchain %s {\n", name)
	for _, line := range lines {
		fmt.Fprintf(&b, "\t\t%s\n", line)
	}
	b.WriteString("\t\tcounter drop\n\t}\n")
	return b.String()
}

// ingressLines are the match expressions of one ingress rule for one target pod: every source match
// crossed with every port match, a named port being the target's. An empty list admits nothing.
func (r *renderer) ingressLines(p *networkingv1.NetworkPolicy, rule networkingv1.NetworkPolicyIngressRule, target *corev1.Pod) []string {
	sources := []string{""} // no `from`: every source
	if len(rule.From) > 0 {
		sources = nil
		for _, peer := range rule.From {
			sources = append(sources, r.peer(p, &peer, "saddr").matches...)
		}
	}
	ports := []string{""} // no `ports`: every port
	if len(rule.Ports) > 0 {
		ports = nil
		for _, port := range rule.Ports {
			if isNamed(port) {
				ports = append(ports, namedPortMatches(port, target)...)
			} else {
				ports = append(ports, portMatch(port))
			}
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

// egressLines are the match expressions of one egress rule: every destination crossed with every
// port. A named port is the port of that name on each destination pod, so it is matched together with
// those pods' addresses; a destination that is not a pod has no named ports. An empty list allows
// nothing.
func (r *renderer) egressLines(p *networkingv1.NetworkPolicy, rule networkingv1.NetworkPolicyEgressRule) []string {
	dests := []peerSet{r.anyDestination()} // no `to`: every destination
	if len(rule.To) > 0 {
		dests = nil
		for _, peer := range rule.To {
			dests = append(dests, r.peer(p, &peer, "daddr"))
		}
	}
	var lines []string
	for _, dest := range dests {
		if len(rule.Ports) == 0 { // no `ports`: every port
			lines = append(lines, dest.matches...)
			continue
		}
		for _, port := range rule.Ports {
			if isNamed(port) {
				lines = append(lines, dest.namedPortLines(port)...)
				continue
			}
			for _, m := range dest.matches {
				lines = append(lines, strings.TrimSpace(m+" "+portMatch(port)))
			}
		}
	}
	return lines
}

// peerSet is what one policy peer stands for: the address matches of its side (saddr for a source,
// daddr for a destination), and the known pods inside it with their addresses inside it.
type peerSet struct {
	addr    string
	matches []string
	pods    []podAddrs
}

type podAddrs struct {
	pod *corev1.Pod
	ips []netip.Addr
}

// anyDestination is every address, and so every pod.
func (r *renderer) anyDestination() peerSet {
	set := peerSet{addr: "daddr", matches: []string{""}}
	for _, pod := range r.peers {
		set.pods = append(set.pods, podAddrs{pod: pod, ips: podIPs(pod)})
	}
	return set
}

// peer resolves one peer of policy p; an invalid one warns and is an empty set.
func (r *renderer) peer(p *networkingv1.NetworkPolicy, peer *networkingv1.NetworkPolicyPeer, addr string) peerSet {
	set := peerSet{addr: addr}
	if peer.IPBlock != nil {
		cidr, excepts, ok := r.ipBlock(p, peer.IPBlock)
		if !ok {
			return set
		}
		set.matches = []string{ipBlockMatch(addr, cidr, excepts)}
		for _, pod := range r.peers {
			var inside []netip.Addr
			for _, ip := range podIPs(pod) {
				if cidr.Contains(ip) && !slices.ContainsFunc(excepts, func(ex netip.Prefix) bool { return ex.Contains(ip) }) {
					inside = append(inside, ip)
				}
			}
			if len(inside) > 0 {
				set.pods = append(set.pods, podAddrs{pod: pod, ips: inside})
			}
		}
		return set
	}
	var ips []netip.Addr
	for _, pod := range r.peerPods(p, peer) {
		set.pods = append(set.pods, podAddrs{pod: pod, ips: podIPs(pod)})
		ips = append(ips, podIPs(pod)...)
	}
	set.matches = addrMatches(addr, ips)
	return set
}

// addrMatches match any of ips, one match per address family that has some.
func addrMatches(addr string, ips []netip.Addr) []string {
	ips = slices.Clone(ips)
	slices.SortFunc(ips, netip.Addr.Compare)
	var v4, v6 []string
	for _, ip := range slices.Compact(ips) {
		if ip.Is4() {
			v4 = append(v4, ip.String())
		} else {
			v6 = append(v6, ip.String())
		}
	}
	var out []string
	if len(v4) > 0 {
		out = append(out, fmt.Sprintf("ip %s %s", addr, setOf(v4)))
	}
	if len(v6) > 0 {
		out = append(out, fmt.Sprintf("ip6 %s %s", addr, setOf(v6)))
	}
	return out
}

// namedPortLines match a named port on the pods of the set: each pod's port of that name and
// protocol, together with that pod's addresses. Pods without such a port match nothing.
func (s peerSet) namedPortLines(port networkingv1.NetworkPolicyPort) []string {
	proto, l4 := protocol(port)
	byNumber := map[int32][]netip.Addr{}
	for _, pa := range s.pods {
		for _, n := range namedPort(pa.pod, port.Port.StrVal, proto) {
			byNumber[n] = append(byNumber[n], pa.ips...)
		}
	}
	var lines []string
	for _, n := range slices.Sorted(maps.Keys(byNumber)) {
		for _, m := range addrMatches(s.addr, byNumber[n]) {
			lines = append(lines, fmt.Sprintf("%s %s dport %d", m, l4, n))
		}
	}
	return lines
}

// peerPods are the pods a selector peer names, in the order of r.peers.
func (r *renderer) peerPods(p *networkingv1.NetworkPolicy, peer *networkingv1.NetworkPolicyPeer) []*corev1.Pod {
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
	var pods []*corev1.Pod
	for _, pod := range r.peers {
		inNamespace := pod.Namespace == p.Namespace
		if peer.NamespaceSelector != nil {
			nsLabels, known := r.nsLabels[pod.Namespace]
			inNamespace = known && nsSel.Matches(nsLabels)
		}
		if inNamespace && podSel.Matches(labels.Set(pod.Labels)) {
			pods = append(pods, pod)
		}
	}
	return pods
}

// ipBlock parses a block; an invalid one warns and is not ok.
func (r *renderer) ipBlock(p *networkingv1.NetworkPolicy, block *networkingv1.IPBlock) (netip.Prefix, []netip.Prefix, bool) {
	cidr, err := netip.ParsePrefix(block.CIDR)
	if err != nil {
		r.warnf("%s/%s: invalid ipBlock cidr %q, peer ignored", p.Namespace, p.Name, block.CIDR)
		return netip.Prefix{}, nil, false
	}
	cidr = cidr.Masked()
	var excepts []netip.Prefix
	for _, e := range block.Except {
		ex, err := netip.ParsePrefix(e)
		if err != nil || ex.Addr().Is4() != cidr.Addr().Is4() {
			r.warnf("%s/%s: invalid ipBlock except %q, peer ignored", p.Namespace, p.Name, e)
			return netip.Prefix{}, nil, false
		}
		excepts = append(excepts, ex.Masked())
	}
	return cidr, disjoint(excepts), true
}

func ipBlockMatch(addr string, cidr netip.Prefix, excepts []netip.Prefix) string {
	family := "ip"
	if cidr.Addr().Is6() {
		family = "ip6"
	}
	match := fmt.Sprintf("%s %s %s", family, addr, cidr)
	if len(excepts) > 0 {
		strs := make([]string, len(excepts))
		for i, ex := range excepts {
			strs[i] = ex.String()
		}
		match += fmt.Sprintf(" %s %s != %s", family, addr, setOf(strs))
	}
	return match
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

func isNamed(port networkingv1.NetworkPolicyPort) bool {
	return port.Port != nil && port.Port.Type == intstr.String
}

// protocol is the port entry's protocol, TCP by default, and its name in nft.
func protocol(port networkingv1.NetworkPolicyPort) (corev1.Protocol, string) {
	proto := corev1.ProtocolTCP
	if port.Protocol != nil {
		proto = *port.Protocol
	}
	return proto, strings.ToLower(string(proto))
}

// portMatch matches a port entry that is not named: a port, a range, or every port of a protocol.
func portMatch(port networkingv1.NetworkPolicyPort) string {
	_, l4 := protocol(port)
	switch {
	case port.Port == nil:
		return "meta l4proto " + l4
	case port.EndPort != nil && *port.EndPort > port.Port.IntVal:
		return fmt.Sprintf("%s dport %d-%d", l4, port.Port.IntVal, *port.EndPort)
	default:
		return fmt.Sprintf("%s dport %d", l4, port.Port.IntVal)
	}
}

// namedPortMatches resolve a named port for a target pod: its container port of the same name and
// protocol, or nothing when it has none.
func namedPortMatches(port networkingv1.NetworkPolicyPort, target *corev1.Pod) []string {
	proto, l4 := protocol(port)
	numbers := namedPort(target, port.Port.StrVal, proto)
	out := make([]string, len(numbers))
	for i, n := range numbers {
		out[i] = fmt.Sprintf("%s dport %d", l4, n)
	}
	return out
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

// dispatchChain lets replies and neighbour discovery through and sends a new packet to the pod chain its
// address (addr: saddr or daddr) maps to.
func dispatchChain(name, addr string, d dispatch) string {
	var b strings.Builder
	// Neighbour discovery is IPv6's ARP: conntrack does not track it, and a pod that cannot do it cannot
	// reach or be reached at all, even where a policy allows it.
	fmt.Fprintf(&b, "\tchain %s {\n\t\tct state established,related accept\n"+
		"\t\ticmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept\n", name)
	if len(d.v4) > 0 {
		fmt.Fprintf(&b, "\t\tip %s vmap %s\n", addr, setOf(d.v4))
	}
	if len(d.v6) > 0 {
		fmt.Fprintf(&b, "\t\tip6 %s vmap %s\n", addr, setOf(d.v6))
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
	// priority filter (0): after kube-proxy's DNAT (dstnat, -100), so daddr and dport are the pod's, or
	// the node's for a Service whose endpoint is the node (CoreDNS here).
	for _, base := range []struct{ hook, jumps string }{
		// Egress first: it returns what it allows, and ingress accepts what it allows, which would end
		// the base chain before an egress check after it.
		{"forward", "\t\tjump egress\n\t\tjump ingress\n"},
		{"input", "\t\tjump egress\n"},   // pods to the node's own addresses
		{"output", "\t\tjump ingress\n"}, // the node's own traffic: only the receiving pod's ingress applies
	} {
		fmt.Fprintf(&b, "\tchain %s {\n\t\ttype filter hook %s priority filter; policy accept;\n%s\t}\n", base.hook, base.hook, base.jumps)
	}
	b.WriteString(dispatchChain("egress", "saddr", r.egressDispatch))
	b.WriteString(dispatchChain("ingress", "daddr", r.ingressDispatch))
	for _, chain := range r.podChains {
		b.WriteString(chain)
	}
	b.WriteString("}\n")
	return b.String()
}
