package main

import (
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// image is one row of the table: its name and tag (the same in every registry it is pushed to), how its
// single layer is made, and its config.
type image struct {
	name   string
	tag    string
	rootfs rootfs
	config v1.Config
}

// localRepositories is where the local cluster's tarballs are tagged: a registry that does not exist, so
// a node that lacks an imported image fails instead of pulling something else.
const localRepositories = "localhost/three-tier-app"

// ref is the reference of the image's tarball: localhost/three-tier-app/<name>:<tag>.
func (img image) ref() string { return localRepositories + "/" + img.name + ":" + img.tag }

const pathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Debian's archive as this machine's apt sources name it: the release, its updates and security fixes.
var bookwormMirrors = []string{
	"deb http://deb.debian.org/debian bookworm main",
	"deb http://deb.debian.org/debian bookworm-updates main",
	"deb http://deb.debian.org/debian-security bookworm-security main",
}

// images is the table of everything the stacks run that is built from source. nginx and redis are tagged
// with the upstream version of the Debian package they install (checked against the rootfs at build
// time); backend with the app's.
var images = []image{
	{
		name: "backend",
		tag:  "v0.4.0",
		rootfs: goBinary{
			module: "app/backend",
			pkg:    ".",
			path:   "/bin/app",
			// distroless's nonroot user, so the uid the pod runs as has a name, as in the Dockerfile's image.
			files: map[string]string{
				"/etc/passwd": "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n",
				"/etc/group":  "root:x:0:\nnonroot:x:65532:\n",
			},
		},
		// Cmd, not Entrypoint: the pod's args ["/bin/app"] then replace it instead of being appended to it.
		config: v1.Config{
			Cmd:          []string{"/bin/app"},
			User:         "65532:65532",
			WorkingDir:   "/",
			Env:          []string{pathEnv},
			ExposedPorts: map[string]struct{}{"1323/tcp": {}},
		},
	},
	{
		name: "nginx",
		tag:  "1.22.1",
		rootfs: debian{
			suite:     "bookworm",
			mirrors:   bookwormMirrors,
			packages:  []string{"nginx"},
			versionOf: "nginx",
			customize: []string{
				// The pods run as 10101: above every host uid (10000+), so an escaped process is nobody there.
				// Give it a name. The ConfigMap mounts at managed/.
				`echo 'nginx:x:10101:10101:nginx:/nonexistent:/usr/sbin/nologin' >> "$1/etc/passwd"`,
				`echo 'nginx:x:10101:' >> "$1/etc/group"`,
				`mkdir -p "$1/etc/nginx/managed"`,
			},
		},
		config: v1.Config{
			Cmd:          []string{"nginx", "-c", "/etc/nginx/managed/nginx.conf", "-g", "daemon off;"},
			User:         "10101:10101",
			WorkingDir:   "/",
			Env:          []string{pathEnv},
			ExposedPorts: map[string]struct{}{"8080/tcp": {}},
			// nginx's graceful stop: workers finish their requests.
			StopSignal: "SIGQUIT",
		},
	},
	{
		name: "redis",
		tag:  "7.0.15",
		rootfs: debian{
			suite:     "bookworm",
			mirrors:   bookwormMirrors,
			packages:  []string{"redis-server", "redis-tools"},
			versionOf: "redis-server",
			customize: []string{
				// uid/gid 10999, which the pods run as, instead of Debian's dynamic ones: above every host uid
				// (10000+), so an escaped process is nobody there.
				`chroot "$1" groupmod --gid 10999 redis`,
				`chroot "$1" usermod --uid 10999 --gid 10999 redis`,
				`mkdir -p "$1/data"`,
				`chown -R 10999:10999 "$1/etc/redis" "$1/var/lib/redis" "$1/var/log/redis" "$1/data"`,
			},
		},
		config: v1.Config{
			Cmd:          []string{"redis-server", "/etc/redis/redis.conf"},
			User:         "10999:10999",
			WorkingDir:   "/data",
			Env:          []string{pathEnv},
			ExposedPorts: map[string]struct{}{"6379/tcp": {}},
		},
	},
	{
		name:   "pause",
		tag:    "3.10",
		rootfs: goBinary{module: "tools/images", pkg: "./pause", path: "/pause"},
		// The uid and gid of Kubernetes' own pause image.
		config: v1.Config{Entrypoint: []string{"/pause"}, User: "65535:65535", WorkingDir: "/", Env: []string{pathEnv}},
	},
}

// selectImages returns the rows with the given names, in the order given; no names means the whole table.
func selectImages(names []string) ([]image, error) {
	if len(names) == 0 {
		return images, nil
	}
	var out []image
	for _, n := range names {
		i := slices.IndexFunc(images, func(img image) bool { return img.name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown image %q (known: %s)", n, strings.Join(imageNames(), ", "))
		}
		if !slices.ContainsFunc(out, func(img image) bool { return img.name == n }) {
			out = append(out, images[i])
		}
	}
	return out, nil
}

func imageNames() []string {
	names := make([]string, len(images))
	for i, img := range images {
		names[i] = img.name
	}
	return names
}
