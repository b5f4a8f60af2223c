package main

import (
	"path/filepath"

	"three-tier-app/shared"
)

// parts is the table, in `up` order: the host side of the node first, then the processes (and the
// tools built beside them). `up` starts the parts of its mode in this order; `down` stops the
// processes by descending stop wave, sweeps their leftovers, then undoes the host parts in reverse;
// `status` reports the processes in order. The build walks it in order too.
var parts = []part{
	paths, sysctls, cgroups, netns,
	etcd, apiserver, controllerManager, scheduler, kubectlTool, kwok, cniPlugins, crictl, images,
	registry, containerd, kubelet, kubeProxy, coredns, pvDirs, netpol,
}

var both = []mode{modeReal, modeKwok}

// partsIn are the parts made in mode m, in `up` order.
func partsIn(m mode) []part {
	var ps []part
	for _, p := range parts {
		if p.row().runsIn(m) {
			ps = append(ps, p)
		}
	}
	return ps
}

// specs are the rows of ps that build something.
func specs(ps []part) []*spec {
	var ss []*spec
	for _, p := range ps {
		if len(p.row().bins) > 0 {
			ss = append(ss, p.row())
		}
	}
	return ss
}

// stopWaves groups the processes of ps by stop wave, highest first: clients before servers.
func stopWaves(ps []part) [][]part {
	byWave := map[int][]part{}
	maxWave := 0
	for _, p := range ps {
		w := p.row().wave
		byWave[w] = append(byWave[w], p)
		maxWave = max(maxWave, w)
	}
	var waves [][]part
	for w := maxWave; w > 0; w-- {
		if len(byWave[w]) > 0 {
			waves = append(waves, byWave[w])
		}
	}
	return waves
}

// hostPartsReversed are the parts of ps that are not processes, in reverse: the order `down` undoes them.
func hostPartsReversed(ps []part) []part {
	var hs []part
	for i := len(ps) - 1; i >= 0; i-- {
		if ps[i].row().wave == 0 {
			hs = append(hs, ps[i])
		}
	}
	return hs
}

func (c *config) partDir(p *spec) string {
	return shared.Entry(c.binCache, p.name, mustVersion(c, p))
}

func (c *config) binPath(p *spec, bin string) string { return filepath.Join(c.partDir(p), bin) }

// processes are the parts of ps that run, in order: what `status` reports.
func processes(ps []part) []*process {
	var procs []*process
	for _, p := range ps {
		if proc, ok := p.(*process); ok {
			procs = append(procs, proc)
		}
	}
	return procs
}
