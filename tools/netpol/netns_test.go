package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/watch"
	fakecorev1 "k8s.io/client-go/kubernetes/typed/core/v1/fake"
	fakenetworkingv1 "k8s.io/client-go/kubernetes/typed/networking/v1/fake"
	clienttesting "k8s.io/client-go/testing"
	"sigs.k8s.io/yaml"

	"three-tier-app/tools/netpol/render"
)

const dialTimeout = 700 * time.Millisecond

// The node's addresses on the pods' bridge: their gateway, and where the node's own services listen
// (CoreDNS and the kubelet in the real cluster).
const (
	nodeV4 = "10.244.0.1"
	nodeV6 = "fd00:10:244::1"
)

// inNetns runs fn on a thread moved into the named netns. The goroutine never unlocks its thread, so
// the runtime discards that thread instead of reusing it in the wrong netns. Sockets made by fn stay in
// that netns afterwards.
func inNetns(name string, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			done <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			done <- fmt.Errorf("setns %s: %w", name, err)
			return
		}
		done <- fn()
	}()
	return <-done
}

type testPod struct {
	ns, name string
	v4, v6   string // v6 empty: single-stack
	labels   map[string]string
	ports    []corev1.ContainerPort
	listen   []int
}

// lab is a throwaway "node" netns with a bridge and one netns per pod, all named after this process.
type lab struct {
	t      *testing.T
	prefix string
	pods   map[string]testPod
}

func (l *lab) nodeNS() string           { return l.prefix + "-node" }
func (l *lab) podNS(name string) string { return l.prefix + "-" + name }

func (l *lab) run(args ...string) {
	l.t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		l.t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

func (l *lab) setUp(pods []testPod) {
	node := l.nodeNS()
	l.run("ip", "netns", "add", node)
	l.t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", node).Run() })
	l.run("ip", "-n", node, "link", "set", "lo", "up")
	l.run("ip", "-n", node, "link", "add", "br0", "type", "bridge")
	l.run("ip", "-n", node, "addr", "add", nodeV4+"/24", "dev", "br0")
	l.run("ip", "-n", node, "addr", "add", nodeV6+"/64", "dev", "br0", "nodad")
	l.run("ip", "-n", node, "link", "set", "br0", "up")
	// Routed Service traffic below needs forwarding; ip_forward is per netns.
	l.run("ip", "netns", "exec", node, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
	for i, p := range pods {
		ns := l.podNS(p.name)
		l.run("ip", "netns", "add", ns)
		l.t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", ns).Run() })
		veth := fmt.Sprintf("veth%d", i)
		l.run("ip", "-n", node, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
		l.run("ip", "-n", node, "link", "set", veth, "master", "br0", "up")
		l.run("ip", "-n", ns, "link", "set", "lo", "up")
		l.run("ip", "-n", ns, "addr", "add", p.v4+"/24", "dev", "eth0")
		if p.v6 != "" {
			l.run("ip", "-n", ns, "addr", "add", p.v6+"/64", "dev", "eth0", "nodad")
		}
		l.run("ip", "-n", ns, "link", "set", "eth0", "up")
		l.run("ip", "-n", ns, "route", "add", "default", "via", nodeV4)
		for _, port := range p.listen {
			l.listen(ns, port)
		}
		l.pods[p.name] = p
	}
}

// listen starts an echo server for one line per connection, in netns ns, on every address.
func (l *lab) listen(ns string, port int) {
	var ln net.Listener
	if err := inNetns(ns, func() (err error) {
		ln, err = net.Listen("tcp", fmt.Sprintf(":%d", port))
		return err
	}); err != nil {
		l.t.Fatalf("listen in %s on %d: %v", ns, port, err)
	}
	l.t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
				line, err := bufio.NewReader(conn).ReadString('\n')
				if err == nil {
					_, _ = conn.Write([]byte(line))
				}
			}()
		}
	}()
}

// roundTrip reports whether a connection from netns ns to addr carries a line there and back.
func roundTrip(ns, addr string) error {
	return inNetns(ns, func() error {
		conn, err := net.DialTimeout("tcp", addr, dialTimeout)
		if err != nil {
			return err
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(dialTimeout))
		if _, err := conn.Write([]byte("ping\n")); err != nil {
			return err
		}
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err == nil && line != "ping\n" {
			err = fmt.Errorf("echo %q", line)
		}
		return err
	})
}

type check struct {
	from, to string // pod names, or "node"
	port     int
	v6       bool
	service  string // dial this address instead (DNAT to `to`)
	allowed  bool
}

func (l *lab) expect(stage string, checks []check) {
	l.t.Helper()
	for _, c := range checks {
		ns := l.nodeNS()
		if c.from != "node" {
			ns = l.podNS(c.from)
		}
		host := l.pods[c.to].v4
		switch {
		case c.to == "node" && c.v6:
			host = nodeV6
		case c.to == "node":
			host = nodeV4
		case c.v6:
			host = l.pods[c.to].v6
		}
		addr := net.JoinHostPort(host, fmt.Sprint(c.port))
		if c.service != "" {
			addr = c.service
		}
		err := roundTrip(ns, addr)
		if (err == nil) != c.allowed {
			l.t.Errorf("%s: %s → %s (%s): allowed=%v, want %v (%v)", stage, c.from, c.to, addr, err == nil, c.allowed, err)
		}
	}
}

func (l *lab) objects() ([]*corev1.Pod, []*corev1.Namespace) {
	var pods []*corev1.Pod
	for _, p := range l.pods {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: p.ns, Name: p.name, Labels: p.labels},
			Spec:       corev1.PodSpec{NodeName: "lab", Containers: []corev1.Container{{Name: "c", Ports: p.ports}}},
			Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIP: p.v4, PodIPs: []corev1.PodIP{{IP: p.v4}}},
		}
		if p.v6 != "" {
			pod.Status.PodIPs = append(pod.Status.PodIPs, corev1.PodIP{IP: p.v6})
		}
		pods = append(pods, pod)
	}
	namespaces := []*corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "three-tier", Labels: map[string]string{"kubernetes.io/metadata.name": "three-tier"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "other", Labels: map[string]string{"kubernetes.io/metadata.name": "other"}}},
	}
	return pods, namespaces
}

// The program's four policies (components/app.ts, stateless-tier.ts, redis.ts) as the API returns
// them, plus a namespace selector with a named port and an ipBlock with an except; then egress: a
// worker that may reach named ports on redis and in namespace other, DNS anywhere, and port 9090 in
// the pods' subnet but for ops; and a sealed pod that may reach nothing.
const labPolicies = `
- metadata: {namespace: three-tier, name: default-deny-ingress}
  spec: {podSelector: {}, policyTypes: [Ingress]}
- metadata: {namespace: three-tier, name: redis-ingress}
  spec:
    podSelector: {matchLabels: {app: web, service: redis}}
    policyTypes: [Ingress]
    ingress: [{from: [{podSelector: {matchLabels: {app: web, service: app}}}], ports: [{protocol: TCP, port: 6379}]}]
- metadata: {namespace: three-tier, name: app-ingress}
  spec:
    podSelector: {matchLabels: {app: web, service: app}}
    policyTypes: [Ingress]
    ingress: [{from: [{podSelector: {matchLabels: {app: web, service: nginx}}}], ports: [{protocol: TCP, port: 1323}]}]
- metadata: {namespace: three-tier, name: nginx-ingress}
  spec:
    podSelector: {matchLabels: {app: web, service: nginx}}
    policyTypes: [Ingress]
    ingress: [{ports: [{protocol: TCP, port: 8080}]}]
- metadata: {namespace: other, name: ops}
  spec:
    podSelector: {}
    policyTypes: [Ingress]
    ingress:
    - from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: three-tier}}}]
      ports: [{port: http}]
    - from: [{ipBlock: {cidr: 10.244.0.0/24, except: [10.244.0.10/32]}}]
      ports: [{port: 9090}]
- metadata: {namespace: three-tier, name: worker-egress}
  spec:
    podSelector: {matchLabels: {service: worker}}
    policyTypes: [Egress]
    egress:
    - to: [{podSelector: {matchLabels: {service: redis}}}]
      ports: [{port: redis}]
    - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: other}}}]
      ports: [{port: http}]
    - ports: [{protocol: UDP, port: 53}, {protocol: TCP, port: 53}]
    - to: [{ipBlock: {cidr: 10.244.0.0/24, except: [10.244.0.20/32]}}]
      ports: [{port: 9090}]
- metadata: {namespace: three-tier, name: sealed-egress}
  spec: {podSelector: {matchLabels: {service: sealed}}, policyTypes: [Egress]}
`

// TestNetns applies rendered rules inside network namespaces it creates and checks real TCP traffic:
// bridged pod-to-pod, routed after a DNAT like kube-proxy's, from the node itself, and from pods to
// the node. Broken renderings of egress then prove that those checks can fail.
func TestNetns(t *testing.T) {
	if os.Getenv("NETPOL_NETNS_TEST") != "1" {
		t.Skip("set NETPOL_NETNS_TEST=1 to run (root, `ip`, `nft`; creates and deletes its own netns)")
	}
	for _, bin := range []string{"ip", "nft", "sysctl"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("NETPOL_NETNS_TEST=1 but %s is missing: %v", bin, err)
		}
	}
	if os.Geteuid() != 0 {
		t.Fatal("NETPOL_NETNS_TEST=1 needs root (network namespaces, nftables)")
	}

	l := &lab{t: t, prefix: fmt.Sprintf("npt%d", os.Getpid()), pods: map[string]testPod{}}
	l.setUp([]testPod{
		{ns: "three-tier", name: "redis", v4: "10.244.0.10", v6: "fd00:10:244::10", labels: map[string]string{"app": "web", "service": "redis"},
			ports: []corev1.ContainerPort{{Name: "redis", ContainerPort: 6379}}, listen: []int{6379, 6380}},
		{ns: "three-tier", name: "backend", v4: "10.244.0.11", v6: "fd00:10:244::11", labels: map[string]string{"app": "web", "service": "app"}, listen: []int{1323}},
		{ns: "three-tier", name: "intruder", v4: "10.244.0.12", v6: "fd00:10:244::12", labels: map[string]string{"run": "x"}, listen: []int{5000}},
		{ns: "other", name: "ops", v4: "10.244.0.20", labels: map[string]string{"service": "app"},
			ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}, listen: []int{8080, 9090, 7070}},
		{ns: "three-tier", name: "worker", v4: "10.244.0.13", v6: "fd00:10:244::13", labels: map[string]string{"app": "web", "service": "worker"}, listen: []int{8000}},
		{ns: "three-tier", name: "sealed", v4: "10.244.0.14", labels: map[string]string{"service": "sealed"}},
	})
	node := l.nodeNS()
	// The node's own services: DNS (CoreDNS on the node IP), the kubelet's port, and 9090.
	for _, port := range []int{53, 10250, 9090} {
		l.listen(node, port)
	}
	nodeNft := nft{argv: []string{"ip", "netns", "exec", node, "nft"}}
	// Service VIPs like kube-proxy's: DNAT in prerouting (priority dstnat) to redis:6379, to ops:8080,
	// and kube-dns's to the node IP, where CoreDNS listens.
	if err := nodeNft.apply(`table ip npt-kube-proxy {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.96.0.50 tcp dport 6379 dnat to 10.244.0.10:6379
		ip daddr 10.96.0.51 tcp dport 8080 dnat to 10.244.0.20:8080
		ip daddr 10.96.0.10 tcp dport 53 dnat to ` + nodeV4 + `:53
	}
}
`); err != nil {
		t.Fatal(err)
	}
	const service, opsService, dnsService = "10.96.0.50:6379", "10.96.0.51:8080", "10.96.0.10:53"

	l.expect("before any rule", []check{
		{from: "intruder", to: "redis", port: 6379, allowed: true},
		{from: "intruder", to: "redis", port: 6379, service: service, allowed: true},
		{from: "worker", to: "node", port: 10250, allowed: true},
		{from: "worker", to: "ops", port: 9090, allowed: true},
	})

	pods, namespaces := l.objects()
	var nodeIPs []netip.Addr
	if err := inNetns(node, func() (err error) { nodeIPs, err = localAddresses(); return err }); err != nil {
		t.Fatal(err)
	}
	var policies []*networkingv1.NetworkPolicy
	if err := yaml.UnmarshalStrict([]byte(labPolicies), &policies); err != nil {
		t.Fatal(err)
	}
	res := render.Render(render.Input{Table: render.DefaultTable, NodeName: "lab", NodeIPs: nodeIPs, Pods: pods, Namespaces: namespaces, Policies: policies})
	if err := nodeNft.apply(res.Script); err != nil {
		t.Fatalf("%v\n%s", err, res.Script)
	}
	// Applying the same script again must replace the table, not fail on existing objects.
	if err := nodeNft.apply(res.Script); err != nil {
		t.Fatalf("second apply: %v", err)
	}

	enforced := []check{
		{from: "backend", to: "redis", port: 6379, allowed: true},
		{from: "backend", to: "redis", port: 6379, v6: true, allowed: true},
		{from: "backend", to: "redis", port: 6379, service: service, allowed: true},
		{from: "intruder", to: "redis", port: 6379, allowed: false},
		{from: "intruder", to: "redis", port: 6379, v6: true, allowed: false},
		{from: "intruder", to: "redis", port: 6379, service: service, allowed: false},
		{from: "backend", to: "redis", port: 6380, allowed: false},
		{from: "ops", to: "redis", port: 6379, allowed: false}, // right labels, wrong namespace
		{from: "redis", to: "intruder", port: 5000, allowed: false},
		{from: "intruder", to: "backend", port: 1323, allowed: false},
		{from: "node", to: "redis", port: 6379, allowed: true}, // kubelet probes come from the node
		{from: "node", to: "redis", port: 6380, allowed: true},
		{from: "node", to: "backend", port: 1323, v6: true, allowed: true},
		{from: "redis", to: "ops", port: 8080, allowed: true},  // namespace selector, named port
		{from: "redis", to: "ops", port: 9090, allowed: false}, // the ipBlock's except
		{from: "backend", to: "ops", port: 9090, allowed: true},
		{from: "backend", to: "ops", port: 7070, allowed: false},
	}
	l.expect("policies applied", enforced)

	egress := []check{
		{from: "worker", to: "ops", port: 8080, allowed: true}, // namespace selector, named port, ops's ingress too
		{from: "worker", to: "ops", port: 8080, service: opsService, allowed: true},
		{from: "worker", to: "ops", port: 9090, allowed: false},   // the ipBlock's except; ops's ingress would admit it
		{from: "worker", to: "redis", port: 6379, allowed: false}, // egress allows it, redis's ingress does not
		{from: "worker", to: "node", port: 53, allowed: true},     // the rule without `to`, on the input hook
		{from: "worker", to: "node", port: 53, v6: true, allowed: true},
		{from: "worker", to: "node", port: 53, service: dnsService, allowed: true},
		{from: "worker", to: "node", port: 9090, allowed: true}, // the ipBlock holds the node IP
		{from: "worker", to: "node", port: 10250, allowed: false},
		{from: "worker", to: "node", port: 10250, v6: true, allowed: false},
		{from: "sealed", to: "node", port: 53, allowed: false},
		{from: "sealed", to: "ops", port: 8080, allowed: false},   // ops's ingress would admit it
		{from: "backend", to: "node", port: 10250, allowed: true}, // not selected for egress
		{from: "node", to: "worker", port: 8000, allowed: true},   // the reply passes the worker's egress
		{from: "node", to: "node", port: 10250, allowed: true},
	}
	l.expect("egress policies applied", egress)

	// Broken renderings, each letting through a connection the right one drops: proof that the checks
	// above can fail. Each must change the script, or it would prove nothing.
	for _, broken := range []struct {
		name      string
		re        *regexp.Regexp
		repl      string
		nowPasses check
	}{
		{"forward does not jump to egress", regexp.MustCompile(`(hook forward priority filter; policy accept;\n)\t\tjump egress\n`), "$1",
			check{from: "worker", to: "ops", port: 9090}},
		{"input does not jump to egress", regexp.MustCompile(`(hook input priority filter; policy accept;\n)\t\tjump egress\n`), "$1",
			check{from: "worker", to: "node", port: 10250}},
		{"forward checks ingress first", regexp.MustCompile(`\t\tjump egress\n\t\tjump ingress\n`), "\t\tjump ingress\n\t\tjump egress\n",
			check{from: "worker", to: "ops", port: 9090}},
		{"allowed egress accepts", regexp.MustCompile(` return comment`), " accept comment",
			check{from: "worker", to: "redis", port: 6379}},
		{"the worker's egress chain accepts the rest", regexp.MustCompile(`(?s)(\tchain egress_pod_three-tier_worker \{\n.*?\t\t)counter drop\n`), "${1}accept\n",
			check{from: "worker", to: "node", port: 10250}},
	} {
		script := broken.re.ReplaceAllString(res.Script, broken.repl)
		if script == res.Script {
			t.Fatalf("broken rendering %q changes nothing", broken.name)
		}
		if err := nodeNft.apply(script); err != nil {
			t.Fatalf("broken rendering %q: %v", broken.name, err)
		}
		broken.nowPasses.allowed = true
		l.expect("broken: "+broken.name, []check{broken.nowPasses})
	}
	if err := nodeNft.apply(res.Script); err != nil {
		t.Fatal(err)
	}
	l.expect("policies applied again", []check{
		{from: "worker", to: "ops", port: 9090, allowed: false},
		{from: "worker", to: "node", port: 10250, allowed: false},
		{from: "worker", to: "redis", port: 6379, allowed: false},
	})

	// Without br_netfilter's hook, bridged pod-to-pod traffic never reaches inet forward.
	l.run("ip", "netns", "exec", node, "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=0")
	l.expect("bridge-nf-call-iptables=0", []check{{from: "intruder", to: "redis", port: 6379, allowed: true}})
	if err := inNetns(node, enableBridgeNetfilter); err != nil {
		t.Fatal(err)
	}
	l.expect("enableBridgeNetfilter", []check{{from: "intruder", to: "redis", port: 6379, allowed: false}})

	// What the enforcer does on SIGTERM: the table goes and traffic flows again.
	if err := nodeNft.apply(render.DeleteScript(render.DefaultTable)); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ip", "netns", "exec", node, "nft", "list", "tables").CombinedOutput(); err != nil || strings.Contains(string(out), render.DefaultTable) {
		t.Fatalf("table still there after delete (%v): %s", err, out)
	}
	if err := nodeNft.apply(render.DeleteScript(render.DefaultTable)); err != nil {
		t.Fatalf("deleting an absent table: %v", err)
	}
	l.expect("table deleted", []check{{from: "intruder", to: "redis", port: 6379, allowed: true}})
}

// listTable is the table as nft prints it inside netns ns; "" when it does not exist.
func listTable(ns string) string {
	out, err := exec.Command("ip", "netns", "exec", ns, "nft", "list", "table", "inet", render.DefaultTable).Output()
	if err != nil {
		return ""
	}
	return string(out)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// fakeClients serves the two API groups run reads from an in-memory tracker, the way
// kubernetes/fake.NewClientset does for all of them (whose compile costs minutes on this machine).
type fakeClients struct{ fake *clienttesting.Fake }

func (c fakeClients) CoreV1() *fakecorev1.FakeCoreV1 { return &fakecorev1.FakeCoreV1{Fake: c.fake} }
func (c fakeClients) NetworkingV1() *fakenetworkingv1.FakeNetworkingV1 {
	return &fakenetworkingv1.FakeNetworkingV1{Fake: c.fake}
}

func fakeAPI(t *testing.T, objects ...k8sruntime.Object) fakeClients {
	scheme := k8sruntime.NewScheme()
	if err := errors.Join(corev1.AddToScheme(scheme), networkingv1.AddToScheme(scheme)); err != nil {
		t.Fatal(err)
	}
	tracker := clienttesting.NewObjectTracker(scheme, serializer.NewCodecFactory(scheme).UniversalDecoder())
	for _, obj := range objects {
		if err := tracker.Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	f := &clienttesting.Fake{}
	f.AddReactor("*", "*", clienttesting.ObjectReaction(tracker))
	f.AddWatchReactor("*", func(action clienttesting.Action) (bool, watch.Interface, error) {
		w, err := tracker.Watch(action.GetResource(), action.GetNamespace())
		return true, w, err
	})
	return fakeClients{fake: f}
}

// TestRunFollowsTheCluster drives run with a fake API server: the table follows policy and pod changes
// and is deleted when the context ends (what SIGTERM does).
func TestRunFollowsTheCluster(t *testing.T) {
	if os.Getenv("NETPOL_NETNS_TEST") != "1" {
		t.Skip("set NETPOL_NETNS_TEST=1 to run (root, `ip`, `nft`; creates and deletes its own netns)")
	}
	ns := fmt.Sprintf("npt%d-run", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "delete", ns).Run() })

	redis := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "three-tier", Name: "redis-0", Labels: map[string]string{"service": "redis"}},
		Spec:       corev1.PodSpec{NodeName: "lab"},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: "10.244.0.10"}}},
	}
	backend := redis.DeepCopy()
	backend.Name, backend.Labels = "backend-1", map[string]string{"app": "web", "service": "app"}
	backend.Status.PodIPs = []corev1.PodIP{{IP: "10.244.0.11"}}
	var policies []*networkingv1.NetworkPolicy
	if err := yaml.UnmarshalStrict([]byte(labPolicies), &policies); err != nil {
		t.Fatal(err)
	}
	client := fakeAPI(t, redis, backend, policies[0])
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, client.CoreV1(), client.NetworkingV1(), "lab", render.DefaultTable, time.Hour, nft{argv: []string{"ip", "netns", "exec", ns, "nft"}})
	}()

	waitFor(t, "both pods isolated by default-deny", func() bool {
		table := listTable(ns)
		return strings.Contains(table, "10.244.0.10 : jump pod_three-tier_redis-0") &&
			strings.Contains(table, "10.244.0.11 : jump pod_three-tier_backend-1")
	})
	redisPolicy := policies[1]
	redisPolicy.Spec.PodSelector.MatchLabels = redis.Labels
	if _, err := client.NetworkingV1().NetworkPolicies("three-tier").Create(ctx, redisPolicy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "redis-ingress rule", func() bool {
		return strings.Contains(listTable(ns), `ip saddr 10.244.0.11 tcp dport 6379 accept comment "three-tier/redis-ingress ingress[0]"`)
	})
	backendEgress := policies[5]
	backendEgress.Spec.PodSelector.MatchLabels = backend.Labels
	if _, err := client.NetworkingV1().NetworkPolicies("three-tier").Create(ctx, backendEgress, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "backend's egress chain", func() bool {
		table := listTable(ns)
		return strings.Contains(table, "10.244.0.11 : jump egress_pod_three-tier_backend-1") &&
			strings.Contains(table, `tcp dport 53 return comment "three-tier/worker-egress egress[2]"`)
	})
	for _, name := range []string{"default-deny-ingress", "redis-ingress", "worker-egress"} {
		if err := client.NetworkingV1().NetworkPolicies("three-tier").Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "pods open again", func() bool {
		table := listTable(ns)
		return table != "" && !strings.Contains(table, "chain pod_") && !strings.Contains(table, "chain egress_pod_")
	})

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	if table := listTable(ns); table != "" {
		t.Fatalf("table left after shutdown:\n%s", table)
	}
}
