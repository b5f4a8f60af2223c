package main

import "time"

// images: the pause image's tarball, which containerd imports once it is ready: the sandbox image it
// pins is there before anything is pulled. The app's images come from the registry.
var images = &tool{spec{
	name: "images", module: "images",
	bins:    []binary{{"images", "."}},
	ldflags: func(*config, string) string { return "-s -w" }, uses: []mode{modeReal},
	expected: 10 * time.Second,
}}
