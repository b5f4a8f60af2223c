// netpol enforces Kubernetes NetworkPolicy ingress and egress rules for the pods of one node by
// rendering them into one nftables table (family inet) in the network namespace it runs in. Verdicts
// are nft rules and sets, no userspace queue: this kernel lacks the nft `queue` expression that
// sigs.k8s.io/kube-network-policies needs.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	networkingv1client "k8s.io/client-go/kubernetes/typed/networking/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"three-tier-app/tools/netpol/render"
)

// debounce coalesces bursts of events (a rollout touches many pods) into one nft transaction.
const debounce = 250 * time.Millisecond

// Bridged pod-to-pod traffic reaches the inet forward hook only with these on; they are per netns.
var bridgeSysctls = []string{
	"/proc/sys/net/bridge/bridge-nf-call-iptables",
	"/proc/sys/net/bridge/bridge-nf-call-ip6tables",
}

// nft runs the nft binary; argv is its command line without the `-f -` (tests prefix `ip netns exec`).
type nft struct{ argv []string }

func (n nft) apply(script string) error {
	cmd := exec.Command(n.argv[0], append(slices.Clone(n.argv[1:]), "-f", "-")...)
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s -f -: %w: %s", strings.Join(n.argv, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster (needs list/watch on pods, namespaces, networkpolicies)")
	nodeName := flag.String("node-name", "", "enforce the policies of the pods scheduled on this node")
	table := flag.String("table", render.DefaultTable, "name of the inet nftables table this enforcer owns")
	resync := flag.Duration("resync", time.Minute, "re-render and re-apply the table at least this often")
	flag.Parse()
	if *nodeName == "" || *kubeconfig == "" {
		log.Fatal("--kubeconfig and --node-name are required")
	}
	if err := enableBridgeNetfilter(); err != nil {
		log.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatal(err)
	}
	cfg.UserAgent = "three-tier-netpol"
	// Only the two API groups it reads: the full clientset would double the binary and its build time.
	core, err := corev1client.NewForConfig(cfg)
	if err != nil {
		log.Fatal(err)
	}
	networking, err := networkingv1client.NewForConfig(cfg)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := run(ctx, core, networking, *nodeName, *table, *resync, nft{argv: []string{"nft"}}); err != nil {
		log.Fatal(err)
	}
}

// run keeps the table in step with the cluster until ctx ends, then deletes it.
func run(ctx context.Context, core corev1client.CoreV1Interface, networking networkingv1client.NetworkingV1Interface, nodeName, table string, resync time.Duration, n nft) error {
	pods := newInformer(&corev1.Pod{}, core.Pods("").List, core.Pods("").Watch)
	namespaces := newInformer(&corev1.Namespace{}, core.Namespaces().List, core.Namespaces().Watch)
	policies := newInformer(&networkingv1.NetworkPolicy{}, networking.NetworkPolicies("").List, networking.NetworkPolicies("").Watch)
	informers := []cache.SharedIndexInformer{pods, namespaces, policies}
	changed := make(chan struct{}, 1)
	notify := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify() },
		UpdateFunc: func(any, any) { notify() },
		DeleteFunc: func(any) { notify() },
	}
	for _, inf := range informers {
		if _, err := inf.AddEventHandler(handler); err != nil {
			return err
		}
		go inf.RunWithContext(ctx)
	}
	log.Printf("netpol: node %s, table inet %s; enforcing NetworkPolicy ingress and egress", nodeName, table)
	shutdown := func() error {
		if err := n.apply(render.DeleteScript(table)); err != nil {
			return fmt.Errorf("delete table on shutdown: %w", err)
		}
		log.Printf("netpol: deleted table inet %s, exiting", table)
		return nil
	}
	// False only when ctx ends first (e.g. SIGTERM while the API server is still down).
	if !cache.WaitForCacheSync(ctx.Done(), pods.HasSynced, namespaces.HasSynced, policies.HasSynced) {
		return shutdown()
	}

	var lastScript string
	var lastWarnings []string
	sync := func(force bool) {
		nodeIPs, err := localAddresses()
		if err != nil {
			log.Printf("netpol: node addresses: %v", err)
			return
		}
		in := render.Input{
			Table: table, NodeName: nodeName, NodeIPs: nodeIPs,
			Pods: cached[*corev1.Pod](pods), Namespaces: cached[*corev1.Namespace](namespaces), Policies: cached[*networkingv1.NetworkPolicy](policies),
		}
		res := render.Render(in)
		if !slices.Equal(res.Warnings, lastWarnings) {
			for _, w := range res.Warnings {
				log.Printf("netpol: warning: %s", w)
			}
			lastWarnings = res.Warnings
		}
		if !force && res.Script == lastScript {
			return
		}
		if err := n.apply(res.Script); err != nil {
			log.Printf("netpol: apply: %v", err)
			lastScript = "" // retried at the next event or resync
			return
		}
		if res.Script != lastScript { // a forced re-apply of the same rules is not news
			log.Printf("netpol: applied table inet %s (pods isolated: %d for ingress, %d for egress)", table,
				strings.Count(res.Script, "\tchain pod_"), strings.Count(res.Script, "\tchain egress_pod_"))
		}
		lastScript = res.Script
	}

	sync(true)
	ticker := time.NewTicker(resync)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return shutdown()
		case <-ticker.C:
			sync(true) // repairs the table if anything else removed or changed it
		case <-changed:
			select {
			case <-time.After(debounce):
			case <-ctx.Done():
				continue
			}
			sync(false)
		}
	}
}

// stripManagedFields keeps the caches small: managed fields are the bulk of an object and unused here.
func stripManagedFields(obj any) (any, error) {
	if m, err := meta.Accessor(obj); err == nil {
		m.SetManagedFields(nil)
	}
	return obj, nil
}

// newInformer watches every object of one kind, cluster-wide: pods on other nodes are policy sources.
func newInformer[L runtime.Object](
	example runtime.Object,
	list func(context.Context, metav1.ListOptions) (L, error),
	watchFn func(context.Context, metav1.ListOptions) (watch.Interface, error),
) cache.SharedIndexInformer {
	lw := &cache.ListWatch{
		ListWithContextFunc:  func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return list(ctx, o) },
		WatchFuncWithContext: watchFn,
	}
	inf := cache.NewSharedIndexInformer(lw, example, 0, cache.Indexers{})
	_ = inf.SetTransform(stripManagedFields) // fails only once the informer runs
	return inf
}

func cached[T any](inf cache.SharedIndexInformer) []T {
	objs := inf.GetStore().List()
	out := make([]T, len(objs))
	for i, o := range objs {
		out[i] = o.(T)
	}
	return out
}

// localAddresses are this netns's addresses, read at every render: the CNI bridge's gateway address,
// the usual source of kubelet's probes, appears only when the first pod is wired.
func localAddresses() ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range addrs {
		prefix, err := netip.ParsePrefix(a.String())
		if err != nil || prefix.Addr().IsLinkLocalUnicast() {
			continue
		}
		out = append(out, prefix.Addr())
	}
	return out, nil
}

// enableBridgeNetfilter turns on bridge-nf-call-ip(6)tables in this netns, without which traffic
// between two pods on the CNI bridge would never reach the forward hook and bypass every policy.
func enableBridgeNetfilter() error {
	for _, path := range bridgeSysctls {
		cur, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("br_netfilter is not available (%w): bridged pod traffic could not be filtered", err)
		}
		if strings.TrimSpace(string(cur)) == "1" {
			continue
		}
		if err := os.WriteFile(path, []byte("1"), 0o644); err != nil {
			return fmt.Errorf("enable %s: %w", path, err)
		}
		log.Printf("netpol: set %s = 1 (was %s)", path, strings.TrimSpace(string(cur)))
	}
	return nil
}
