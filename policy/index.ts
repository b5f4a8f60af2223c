// The three-tier-app policy pack. Run it with `pulumi preview --policy-pack policy` (see README.md).
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("three-tier-app", { enforcementLevel: "mandatory", policies: POLICIES });
