// netpol enforces Kubernetes NetworkPolicy ingress rules for the pods of one node by rendering them
// into one nftables table (family inet) in the network namespace it runs in. Verdicts are nft rules
// and sets, no userspace queue: this kernel lacks the nft `queue` expression that
// sigs.k8s.io/kube-network-policies needs. Egress rules are reported, not enforced.
package main

import (
	"bytes"
	"context"
	"errors"
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
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
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
	if err := run(*kubeconfig, *nodeName, *table, *resync); err != nil {
		log.Fatal(err)
	}
}

func run(kubeconfig, nodeName, table string, resync time.Duration) error {
	if err := enableBridgeNetfilter(); err != nil {
		return err
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	cfg.UserAgent = "three-tier-netpol"
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	factory := informers.NewSharedInformerFactoryWithOptions(client, 0, informers.WithTransform(stripManagedFields))
	pods := factory.Core().V1().Pods()
	namespaces := factory.Core().V1().Namespaces()
	policies := factory.Networking().V1().NetworkPolicies()
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
	for _, inf := range []cache.SharedIndexInformer{pods.Informer(), namespaces.Informer(), policies.Informer()} {
		if _, err := inf.AddEventHandler(handler); err != nil {
			return err
		}
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	log.Printf("netpol: node %s, table inet %s; enforcing NetworkPolicy ingress only: egress rules are NOT enforced", nodeName, table)
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("cache of %v did not sync", typ)
		}
	}

	n := nft{argv: []string{"nft"}}
	var lastScript string
	var lastWarnings []string
	sync := func(force bool) {
		in, err := snapshot(pods.Lister().List, namespaces.Lister().List, policies.Lister().List)
		if err != nil {
			log.Printf("netpol: list: %v", err)
			return
		}
		in.Table, in.NodeName = table, nodeName
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
		lastScript = res.Script
		log.Printf("netpol: applied table inet %s (%d isolated pods)", table, strings.Count(res.Script, "\tchain pod_"))
	}

	sync(true)
	ticker := time.NewTicker(resync)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := n.apply(render.DeleteScript(table)); err != nil {
				return fmt.Errorf("delete table on shutdown: %w", err)
			}
			log.Printf("netpol: deleted table inet %s, exiting", table)
			return nil
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

// snapshot reads the informers' caches and the netns's own addresses into a render input.
func snapshot(
	listPods func(labels.Selector) ([]*corev1.Pod, error),
	listNamespaces func(labels.Selector) ([]*corev1.Namespace, error),
	listPolicies func(labels.Selector) ([]*networkingv1.NetworkPolicy, error),
) (render.Input, error) {
	var in render.Input
	var err, e error
	in.Pods, e = listPods(labels.Everything())
	err = errors.Join(err, e)
	in.Namespaces, e = listNamespaces(labels.Everything())
	err = errors.Join(err, e)
	in.Policies, e = listPolicies(labels.Everything())
	err = errors.Join(err, e)
	in.NodeIPs, e = localAddresses()
	return in, errors.Join(err, e)
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
