## Rules: title, detail and remedy of each finding.

KZ-SC-001-title = Secure channel failures: { $device }
KZ-SC-001-detail = { $count ->
    [one] One secure-channel failure, { $first }.
   *[other] { $count } secure-channel failures between { $first } and { $last }.
} Status: { $statuses }. Reported by: { $reporters }.
KZ-SC-001-remedy = { $cause ->
    [identity-isolation] This device enforces Machine Identity Isolation in a domain below the Windows Server 2025 functional level (KZ-MII-001): a password re-sync or the GPO workaround will not hold. Turn the setting off the way it was set (Intune, GPO or registry), restart, then repair with Test-ComputerSecureChannel -Repair -Credential; see KZ-MII-001.
   *[other] { $kind ->
        [password] The domain controller rejects this computer's machine password (old or wrong password). On the device run Test-ComputerSecureChannel -Repair -Credential DOMAIN\JoinAccount (or Reset-ComputerMachinePassword -Server <DC>), then confirm with nltest /sc_verify:<domain>. If it keeps coming back after each password rotation and every DC runs Windows Server 2025, apply the GPO workaround of the playbook: "Refuse machine account password changes" on a GPO linked only to the Domain Controllers OU, and a maximum machine password age on a pilot OU of members.
        [account] The computer account is missing or was reset in Active Directory. Check that the computer object exists and is enabled (it may have been deleted, renamed or re-created by another join), then rejoin the device or reset its account and repair the secure channel.
        [connectivity] No domain controller could be reached (network, DNS, site or firewall), not a trust problem. Check name resolution of the domain's DC records, the device's site and the ports to the DCs; watch whether it recurs after the network is fixed.
        [expected] Expected once on a Windows Server 2025 member talking to an older DC (Kerberos secure channel attempt, then classic Netlogon). No action unless it is followed by other failures; UseKerberosForSecureChannels = 0 silences it.
       *[other] Check the device's secure channel (nltest /sc_verify:<domain>) and the status code above; repair with Test-ComputerSecureChannel -Repair -Credential when the channel is broken.
    }
}
KZ-SC-002-title = Recurring secure-channel failures: { $device }
KZ-SC-002-detail = The secure channel broke in { $episodes } separate episodes (starting { $starts }), with { $recoveries ->
    [0] no repair or password change
    [one] one repair or password change
   *[other] { $recoveries } repairs or password changes
} in between; episodes are failures separated by a recovery or by { $gap_days } days or more. First { $first }, last { $last }.
KZ-SC-002-remedy = Repairs do not stick: the device breaks again at its next machine-password rotation. This is the pattern seen when every DC runs Windows Server 2025. Stop the bleeding with the DC "Refuse machine account password changes" GPO (Domain Controllers OU only) and a member GPO on a pilot OU, distribute a self-repair script, and plan the rollback once Microsoft's fix is installed.
KZ-SC-003-title = Computer account missing or reset: { $device }
KZ-SC-003-detail = Domain controllers report no usable computer account for this device ({ $count ->
    [one] once, { $first }
   *[other] { $count } times, { $first } to { $last }
}; reported by { $reporters }). Status 0xC000018B STATUS_NO_TRUST_SAM_ACCOUNT / NETLOGON 5723.{ $deleted ->
    [none] {""}
   *[other] {" "}Security 4743: the account was deleted on { $deleted } by { $deleted_by }.
}
KZ-SC-003-remedy = Find out whether the computer object was deleted, disabled, renamed or re-created by a join with the same name from another device (a clone?). Restore it from the AD recycle bin if it was deleted by mistake; otherwise rejoin the device to the domain. Until then it cannot authenticate.
KZ-SC-004-title = Snapshot or restore rollback suspected: { $device }
KZ-SC-004-detail = The device changed its own machine password on { $changed }, yet on { $failed } ({ $days } days later) the domain controller rejected its password as wrong. A device that forgets a password change it made was most likely rolled back (VM snapshot, image or backup restore).{ $restored_dc ->
    [none] {""}
   *[other] {" "}But the domain controller that rejected it, { $restored_dc }, was itself restored the wrong way (KZ-DC-002): it holds an older password than the device, so repair the DC first.
}
KZ-SC-004-remedy = After reverting a VM snapshot or restoring a backup of a domain member, re-sync its machine password as a standard step (Test-ComputerSecureChannel -Repair -Credential, or Reset-ComputerMachinePassword). Avoid reverting members to snapshots older than their password rotation interval.

KZ-MII-001-title = Machine Identity Isolation broke the trust of { $device } (domain below Windows Server 2025 level)
KZ-MII-001-detail = { $device } enforces Machine Identity Isolation (Credential Guard-protected machine account: { $switches } = 2) on build { $build }, which honours it since { $kb } ({ $date }). Microsoft supports it only at the Windows Server 2025 domain functional level; { $level ->
    [unknown] the domain's level was not read (read the directory to confirm it is below 2025).
   *[other] this domain is at level { $level }.
} Since then the device failed to authenticate to its domain { $count ->
    [one] once ({ $first })
   *[other] { $count } times, first { $first }
}: its secure channel broke, and users may see "the trust relationship between this workstation and the primary domain failed" while cached sign-in still works.
KZ-MII-001-remedy = Do not apply the Netlogon GPO workaround or re-sync the password first: it will not hold. Turn Machine Identity Isolation off the way it was set — the Intune setting or GPO (Device Guard, Machine Identity Isolation Configuration) if one sets it, else the registry: where MachineIdentityIsolation = 2 under HKLM\SYSTEM\CurrentControlSet\Control\Lsa or HKLM\SOFTWARE\Policies\Microsoft\Windows\DeviceGuard, set it to 0 — restart, then run Test-ComputerSecureChannel -Repair -Credential (Get-Credential). A device that had it enforced may need to leave and rejoin the domain. Keep it off until the domain is at the Windows Server 2025 functional level.

KZ-KRB-001-title = Kerberos refused the encryption types of { $device } (RC4 retirement), not a password failure
KZ-KRB-001-detail = { $count ->
    [one] One Kerberos encryption-type event names
   *[other] { $count } Kerberos encryption-type events name
} this device's account ({ $blocked ->
    [0] all audit warnings
   *[other] { $blocked } refused, the rest audit warnings
}), { $first } to { $last }, reported by { $reporters }. { $account ->
    [rc4-only] Its account allows RC4 only (msDS-SupportedEncryptionTypes { $etypes }).
    [unset] Its account has no msDS-SupportedEncryptionTypes: domain controllers updated since April 2026 give it AES tickets only.
    [aes] Its account allows AES ({ $etypes }): check that it has AES keys (a password last set before the domain had AES keys gives none).
    [des-only] Its account allows DES only ({ $etypes }), which Windows no longer supports.
   *[unknown] The directory was not read, so its msDS-SupportedEncryptionTypes is not known.
}{ $withheld ->
    [0] {""}
   *[other] {" "}{ $withheld } secure-channel failures of this device are not reported as machine-password failures (KZ-SC-001/002/004): with no NETLOGON access denied (0xC0000022) beside them, this explains them.
}{ $phase ->
    [audit] {" "}On { $last } the RC4 retirement (KB5073381) was in its audit phase (since { $since }): enforcement follows.
    [enforced] {" "}On { $last } the RC4 retirement (KB5073381) was enforced (since { $since }).
    [final] {" "}On { $last } the RC4 retirement (KB5073381) was enforced for good (since { $since }, no rollback{ $phase_source ->
        [secondary] , as reported
       *[other] {""}
    }).
   *[other] {""}
}
KZ-KRB-001-remedy = This is not a machine-password mismatch: re-syncing the password or the RefusePasswordChange/MaximumPasswordAge workaround does not help. Since the Kerberos RC4 hardening (KB5073381, CVE-2026-20833; enforced by the April 2026 updates) domain controllers issue only AES tickets to accounts without explicit encryption types. Give the account AES (msDS-SupportedEncryptionTypes 0x18, or 0x1C while it still needs RC4), then change its password so AES keys exist (Reset-ComputerMachinePassword on the device). Look for other accounts in the KDC events 201–209 of every DC.

KZ-SID-001-title = Duplicate machine SID, authentication blocked now: { $sid }
KZ-SID-001-detail = { $count } devices share the machine SID { $sid }: { $members }. Both ends of { $pair_count ->
    [one] this pair
   *[other] these { $pair_count } pairs
} enforce the machine-ID check ({ $kb } and later), so NTLM and Kerberos between them fail (SMB, RDP, WinRM; LsaSrv 6167 on the target): { $pairs }.{ $corroborated ->
    [yes] {" "}They share a MachineGuid as well (SOFTWARE\Microsoft\Cryptography): { $guid_clones }. Copies of one installation: certainly clones.
   *[other] {""}
}
KZ-SID-001-remedy = Keep { $keep } and rebuild { $rebuild } from scratch with Sysprep (unjoining and running Sysprep is not enough; SID-changing tools are unsupported). Stop cloning without Sysprep. Microsoft's temporary compatibility option (via Microsoft support) only buys time: it ends { $compat_expires }.
KZ-SID-002-title = Duplicate machine SID, breaks when updated: { $sid }
KZ-SID-002-detail = { $count } devices share the machine SID { $sid }: { $members }. Not blocked yet, but { $pair_count ->
    [one] this pair breaks
   *[other] these { $pair_count } pairs break
} once both ends run a build with the machine-ID check: { $pairs }. Updates that bring it: { $updates }. Builds unknown (not guessed): { $unknown }.{ $corroborated ->
    [yes] {" "}They share a MachineGuid as well (SOFTWARE\Microsoft\Cryptography): { $guid_clones }. Copies of one installation: certainly clones.
   *[other] {""}
}
KZ-SID-002-remedy = Rebuild { $rebuild } with Sysprep before they receive the update (keep { $keep }), or hold the update on them until they are rebuilt. Unjoining and running Sysprep is not enough.
KZ-SID-003-title = Member shares a domain controller's SID: { $sid }
KZ-SID-003-detail = Domain controllers { $dcs } legitimately share their domain's SID { $sid }, but these members carry it too: { $others }. A member with the domain's SID is a clone of a DC image or of the domain itself and cannot be trusted to authenticate correctly.{ $corroborated ->
    [yes] {" "}They share a MachineGuid as well (SOFTWARE\Microsoft\Cryptography): { $guid_clones }. Copies of one installation: certainly clones.
   *[other] {""}
}
KZ-SID-003-remedy = Rebuild { $rebuild } from scratch with Sysprep and rejoin them; never image a domain controller for members. Keep { $keep }.
KZ-SID-004-title = Machine-ID check refused authentication (LsaSrv 6167): { $device }
KZ-SID-004-detail = { $device } logged LsaSrv 6167 ("partial mismatch in the machine ID") { $count ->
    [one] once, { $first }
   *[other] { $count } times, { $first } to { $last }
}: it refused a ticket from a device with the same machine SID. Its SID: { $sid }; devices known to share it: { $group }.
KZ-SID-004-remedy = Find the devices sharing { $device }'s machine SID (PsGetSid, or kizuna with their hives or an inventory) and rebuild the clones with Sysprep.

KZ-POL-001-title = "Refuse machine account password changes" on { $count ->
    [one] a non-DC
   *[other] { $count } non-DCs
}: { $devices }
KZ-POL-001-detail = RefusePasswordChange=1 is a domain-controller setting (the DC half of the source article's workaround), yet these members have it: { $devices }. A GPO meant for the Domain Controllers OU is linked too widely or lacks its ProductType = 2 WMI filter, so the same link can carry other DC-only settings to members.
KZ-POL-001-remedy = Link the Refuse GPO to OU=Domain Controllers only, with a WMI filter "SELECT * FROM Win32_OperatingSystem WHERE ProductType = 2"; set RefusePasswordChange back to 0 on these members (a security option stays in the registry after its GPO goes). `kizuna gpo workaround` builds correctly scoped GPOs.
KZ-POL-002-title = Machine password changes disabled (DisablePasswordChange=1): { $devices }
KZ-POL-002-detail = { $count ->
    [one] This device never changes its
   *[other] These { $count } devices never change their
} machine account password: { $devices }. It is not the source article's workaround (that pauses rotation with MaximumPasswordAge and an expiry date), it is a baseline finding, and a password that never changes outlives any compromise.
KZ-POL-002-remedy = Set "Domain member: Disable machine account password changes" to Disabled (DisablePasswordChange=0) in the GPO or image that sets it. If rotation must pause, use MaximumPasswordAge with a rollback date instead.
KZ-POL-003-title = MaximumPasswordAge = { $value } on { $count ->
    [one] one device
   *[other] { $count } devices
}
KZ-POL-003-detail = Machine password age { $value } is outside Microsoft's range (1 to { $max_age_limit } days; 0 means never change) on: { $devices }. This is the member half of the source article's workaround: it stops rotation (and the failures that come with it) but is a CIS/STIG finding ("30 or fewer, but not 0") and PingCastle's S-PwdLastSet findings follow as accounts age.
KZ-POL-003-remedy = Keep it only with an expiry date in the change record, and roll back to 30 once Microsoft's fix is installed on every DC (`kizuna gpo rollback`). If a pause is needed longer, a large value such as 999 stays within the documented range.
KZ-POL-004-title = { $read ->
    [after] Workaround still written on { $count ->
        [one] one device
       *[other] { $count } devices
    } after its expiry ({ $expires })
   *[before] Workaround last seen before its expiry ({ $expires }), not read since: { $count ->
        [one] one device
       *[other] { $count } devices
    }
}
KZ-POL-004-detail = The workaround had to be gone by { $expires } ({ $source ->
    [plan] the expiry of kizuna plan { $source_name }
    [gpo] the expiry in the name of GPO "{ $source_name }"
    [scan] the expiry recorded with scan { $source_name }
   *[given] the expiry given with --expires
}); that was { $days } days ago. { $read ->
    [after] SYSTEM hives written after that date still hold it: { $settings }. Security settings tattoo: unlinking or deleting the GPO leaves the values in the registry, so machine password changes stay refused (on DCs) or paused (on members) there.
   *[before] The newest SYSTEM hive of each of these devices was written before that date and still held it: { $settings }. Whether it is gone now is not known.
}
KZ-POL-004-remedy = { $read ->
    [after] Link the rollback GPOs (`kizuna gpo rollback`: RefusePasswordChange=0, MaximumPasswordAge=30) to where the workaround reached, run `gpupdate /force` or wait for the next refresh, collect the SYSTEM hives again and scan until this finding is gone; only then delete the workaround GPOs.
   *[before] Collect the SYSTEM hives of these devices again and scan: a reading after { $expires } confirms the rollback.
}
KZ-DC-002-title = Domain controller restored the wrong way (USN rollback): { $dc }
KZ-DC-002-detail = { $dc } logged Directory Service { $ids } ({ $count ->
    [one] once, { $first }
   *[other] { $count } times, { $first } to { $last }
}): it was restored from a backup or snapshot without a supported procedure, and Windows paused its Net Logon service. It holds machine passwords older than its members' own, so members it rejects look rolled back (KZ-SC-004) although they are not. { $member_count ->
    [0] No member rejected by it was seen.
    [one] Member it rejected since: { $members }.
   *[other] { $member_count } members it rejected since: { $members }.
}
KZ-DC-002-remedy = Treat the DC, not the members: take it off the network, then either demote it forcibly and clean up its metadata or restore it with a supported (authoritative or non-authoritative) procedure, as Microsoft's "Detect and recover from a USN rollback" describes. Check the registry value "Dsa Not Writable" (4 = USN rollback) under HKLM\SYSTEM\CurrentControlSet\Services\NTDS\Parameters. Only once the DC is fixed, repair the members that still fail (Test-ComputerSecureChannel -Repair).

KZ-NTLM-001-title = NTLMv1-derived sign-on { $blocked ->
    [0] audited
   *[other] blocked
} on { $device } (KB5066470), not a broken trust
KZ-NTLM-001-detail = { $device } logged { $count ->
    [one] one NTLM Operational event
   *[other] { $count } NTLM Operational events
} about single sign-on with NTLMv1-derived credentials ({ $blocked ->
    [0] all audit warnings
   *[other] { $blocked } blocked, the rest audit warnings
}), { $first } to { $last }. Windows 11 24H2 and Windows Server 2025 audit this and then block it when Credential Guard is off (KB5066470){ $phase ->
    [audit] ; on { $last } it was in its audit phase (since { $since })
    [enforced] ; on { $last } blocking was the default (since { $since }{ $phase_source ->
        [secondary] , as reported
       *[other] {""}
    })
   *[other] {""}
}. Authentication that fails this way is neither a machine-password mismatch nor a duplicate SID.
KZ-NTLM-001-remedy = Do not repair the secure channel or widen the Netlogon workaround for it. Find what asks for NTLMv1-derived credentials (typically MS-CHAPv2: PEAP-MSCHAPv2 Wi-Fi or VPN, or an old application) and move it to Kerberos, NTLMv2 or certificates (EAP-TLS). As a stopgap only, the value BlockNtlmv1SSO (REG_DWORD) under HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0 is reported to audit (0) instead of block (1).

KZ-AD-001-title = Active computers whose machine password stopped rotating: { $count }
KZ-AD-001-detail = These computers logged on within { $active_days } days but their password is older than { $factor } × the age they should rotate at ({ $default_age } days unless a GPO read from SYSVOL sets another): { $devices }. A secure channel that cannot change its password breaks at the next mismatch; on a domain whose DCs all run Windows Server 2025 this is problem A in progress. Workstations are included (PingCastle checks servers only).
KZ-AD-001-remedy = On each, check `nltest /sc_verify:<domain>` and netlogon.log for failed NlChangePassword; repair with Test-ComputerSecureChannel -Repair, and scan their event logs with kizuna to see whether rotations fail.
KZ-AD-002-title = Domain controller passwords older than { $dc_days } days: { $devices }
KZ-AD-002-detail = A DC changes its own machine password every 30 days; these have not for more than { $dc_days } days: { $devices }. Replication or the DC's secure channel to its peers is failing, or rotation was disabled (PingCastle S-PwdLastSet-DC).
KZ-AD-002-remedy = Check replication (repadmin /showrepl) and the DC's System log for NETLOGON errors; reset with `netdom resetpwd /server:<other DC> /userd:<admin> /passwordd:*` if its channel is broken.
KZ-AD-003-title = Computers without AES Kerberos keys (RC4/DES only): { $count }
KZ-AD-003-detail = msDS-SupportedEncryptionTypes lacks AES on: { $devices }. After the 2025–2026 Kerberos hardening, RC4-only accounts fail authentication against updated DCs.
KZ-AD-003-remedy = Set msDS-SupportedEncryptionTypes to include AES (24 for AES only, 28 with RC4 during migration) and reset the machine password so AES keys exist.
KZ-AD-004-title = "Refuse machine account password changes" scoped beyond the DCs: { $gpo }
KZ-AD-004-detail = GPO { $gpo } ({ $guid }) sets RefusePasswordChange=1. Links outside OU=Domain Controllers: { $elsewhere }. { $filtered ->
    [yes] It is filtered to DCs by a ProductType = 2 WMI filter.
   *[no] It has no WMI filter that selects only DCs (ProductType = 2).
} Scope: { $scope }.
KZ-AD-004-remedy = Link it to OU=Domain Controllers only and attach a WMI filter "SELECT * FROM Win32_OperatingSystem WHERE ProductType = 2"; remove other links. `kizuna gpo workaround` generates the pair of GPOs scoped this way.
KZ-AD-005-title = Workaround GPO in place: { $gpo } ({ $settings })
KZ-AD-005-detail = GPO { $gpo } ({ $guid }, changed { $changed }) carries the source article's workaround: { $settings }. Scope: { $scope }. Baseline findings it causes:{ $refuse ->
    [yes] {" "}PingCastle A-DCRefuseComputerPwdChange now, S-PwdLastSet-45/-90 for servers and S-PwdLastSet-DC for DCs as accounts age.
   *[no] {""}
}{ $age ->
    [yes] {" "}CIS / DISA STIG "maximum machine account password age: 30 days or fewer, but not 0".
   *[no] {""}
}{ $disable ->
    [yes] {" "}CIS / DISA STIG "machine account password changes must not be disabled".
   *[no] {""}
}{ $expiry ->
    [overdue] {" "}It expired on { $expires }, { $days } days ago: roll it back.
    [future] {" "}It expires on { $expires }, in { $days } days.
   *[none] {" "}No expiry date is recorded in its name (kizuna's kit names it "… (expires YYYY-MM-DD)").
}
KZ-AD-005-remedy = Record an expiry date in the change record and plan the rollback (`kizuna gpo rollback`) once Microsoft's fix is on every DC; until then expect the baseline findings above and explain them to auditors.
KZ-AD-006-title = Inactive computers (no logon, no password change for { $inactive_days } days): { $count }
KZ-AD-006-detail = Enabled computer accounts with neither a logon nor a password change for { $inactive_days } days: { $devices }. Stale accounts are targets, and their names can be reused by a rejoin from another (cloned) device.
KZ-AD-006-remedy = Confirm with their owners, then disable and later delete them (or move them to a quarantine OU).
KZ-DC-001-title = Every domain controller runs Windows Server 2025: { $dcs }
KZ-DC-001-detail = { $count ->
    [one] The only domain controller seen runs
   *[other] All { $count } domain controllers seen run
} Windows Server 2025 ({ $dcs }). Secure channels that keep breaking after machine password rotations (problem A of the source article) appear when no older DC remains.
KZ-DC-001-remedy = Watch DC NETLOGON 5722/5805 and client 3210 weekly (`kizuna scan`); install Microsoft's fix on every DC when available; where rotations fail, apply the DC-only workaround with an expiry date (`kizuna gpo workaround`).

## NTSTATUS meanings.

status-C0000022 = access denied: the DC rejected the machine password (old or wrong password)
status-C000006D = logon failure: bad credentials
status-C000006A = wrong password
status-C000018B = no trust account: the computer account is missing or was reset
status-C000018A = no trust secret: the device's local machine secret is missing
status-C000005E = no logon servers: no domain controller could be reached
status-C00000E5 = internal error: expected once from a Windows Server 2025 member trying Kerberos against an older DC
status-C0000418 = NTLM blocked by policy

## Terminal summary.

summary-title = kizuna scan
summary-inputs = Inputs: { $count } ({ $ok } ok, { $partial } partial, { $error } unreadable)
summary-skipped = Not evidence, skipped: { $count } { $count ->
    [one] file
   *[other] files
} ({ $names })
summary-hosts = Hosts asked: { $asked } ({ $answered } answered, { $failed } gave no answer{ $failed ->
    [0] {""}
   *[other] : { $reasons }
})
summary-input-line = { $status }  { $kind }  { $path }  ({ $records } records, { $kept } kept)
summary-events = Watched events
summary-no-events = No watched events.
summary-devices = Devices with findings
summary-findings = Findings: { $count }
summary-no-findings = No findings.
summary-evidence = Evidence ({ $shown } of { $total }):
summary-remedy = What to do:
summary-window = Time window: { $since } to { $until }
summary-db = Store: { $path }
summary-db-none = Store: none (use --out or --db to keep results)
severity-critical = CRITICAL
severity-high = HIGH
severity-medium = MEDIUM
severity-low = LOW
severity-info = INFO

## kizuna plan: the staged workaround / rollback and its gates (docs/plan.md).

plan-title = kizuna plan { $id }: { $track ->
    [workaround] workaround track (pilot → stages → all)
   *[rollback] rollback track (lab → stages → monitor → disable → delete)
}, created { $created }
plan-now = Now: { $now }
plan-expiry-left = Workaround expiry: { $date } ({ $days ->
    [0] today
    [one] 1 day left
   *[other] { $days } days left
})
plan-expiry-overdue = Workaround expiry: { $date } — OVERDUE by { $days ->
    [one] 1 day
   *[other] { $days } days
}: the temporary exception has run out; roll the workaround back, or renew the exception on record.
plan-expiry-removed = Workaround expiry: { $date } — the workaround was removed on { $removed }.
plan-earliest = Earliest finish the remaining phases' minimum times allow: { $date }{ $late ->
    [yes] , after the expiry: renew the exception on record, or shorten the phases.
   *[no] .
}
plan-phases = Phases:
plan-state = { $state ->
    [done] done
    [active] ACTIVE
   *[pending] pending
}
plan-phase-name = { $kind ->
    [pilot] pilot
    [all] all
    [lab] lab
    [monitor] monitor
    [disable] disable
    [delete] delete
   *[stage] { $name }
}
plan-scope = { $all ->
    [yes] all devices
   *[no] { $patterns }{ $more ->
        [0] {""}
       *[other] {" "}(+{ $more } more)
    }
}
plan-phase-dates = { $state ->
    [done] { $started } → { $finished }
    [active] since { $started }
   *[pending] {""}
}
plan-current = Current phase: { $phase } (since { $started }, { $days ->
    [one] 1 day
   *[other] { $days } days
})
plan-current-none = No active phase.
plan-next-phase = Next: { $phase } ({ $scope }), once the gate below passes: kizuna plan advance --by NAME --why TEXT
plan-next-finish = Next: complete the plan, once the gate below passes: kizuna plan advance --by NAME --why TEXT
plan-next-rollback = Next: the workaround is in place everywhere. Once Microsoft's fix is on every DC, start the rollback before the expiry: kizuna plan init --track rollback --expires DATE --stage lab=PATTERNS
plan-next-nothing = Next: nothing. The workaround GPOs are deleted and machine passwords rotate again; close the exception on record.
plan-gate = Gate of { $phase }: { $status ->
    [pass] PASS
    [block] BLOCKED
   *[unknown] UNKNOWN — collect fresh evidence (kizuna scan … --db FILE) and look again
}
plan-mark = { $status ->
    [pass] ok
    [block] NO
   *[unknown] ??
}
plan-check-fresh = newest evidence { $newest }{ $unit ->
    [after] , after now: the logs cover now
    [hours] , { $hours ->
        [one] 1 hour
       *[other] { $hours } hours
    } old (at most { $max } days)
   *[days] , { $days } days old (at most { $max } days)
}
plan-check-fresh-none = no evidence before now: scan the logs into this database (kizuna scan … --db FILE)
plan-check-in-phase = in this phase for { $days ->
    [one] 1 day
   *[other] { $days } days
} (at least { $min })
plan-check-cycles = { $days ->
    [one] 1 day
   *[other] { $days } days
} since the workaround was withdrawn everywhere (at least { $cycles } rotation cycles of { $cycle_days } days: { $min })
plan-check-scope = { $devices ->
    [0] the evidence names no device of the scope: check the patterns, or collect those devices' logs
    [one] 1 device of the scope is named in the evidence
   *[other] { $devices } devices of the scope are named in the evidence
}
plan-check-new-failures = devices of the scope with a new secure-channel failure (KZ-SC-001) since { $since }: { $count } (must be 0)
plan-check-failure-rate = failure events per day in the scope since { $since }: { $per_day } ({ $events } over { $days } days; at most { $max })
plan-check-rotations = devices of the scope that changed their own machine password since { $since }: { $count } (at least { $min })
plan-check-devices = { $devices }{ $more ->
    [0] {""}
   *[other] , and { $more } more
}
plan-log = Log (last { $shown } of { $total }):
plan-log-entry = { $time }  { $who }  { $action ->
    [init] started the plan with { $phase }
    [advance] ended { $phase } (gate passed)
    [force] ended { $phase } BY FORCE (gate: { $gate ->
        [pass] passed
        [block] BLOCKED
       *[unknown] UNKNOWN
    })
    [record] recorded during { $phase }
   *[superseded] closed: superseded by { $reason }
}
plan-log-tickets = helpdesk tickets: { $count }
plan-log-reason = { $action ->
    [record] note: { $reason }
   *[other] why: { $reason }
}
plan-created = Plan { $id } created ({ $track } track, { $count } phases): { $phase } begins now. The workaround expires { $expires }.
plan-ended = { $forced ->
    [yes] { $phase } ended BY FORCE (gate: { $status ->
        [block] BLOCKED
       *[unknown] UNKNOWN
    }); logged as forced, with the reason.
   *[no] { $phase } ended: its gate passed.
}
plan-begins = { $phase } begins now ({ $scope }).
plan-completed = The plan is complete.
plan-refused = { $phase } stays active: its gate is { $status ->
    [block] BLOCKED
   *[unknown] UNKNOWN (no fresh evidence)
}. Fix what does not pass below, or override with --force (logged as forced, with --why).
plan-recorded = Recorded in plan { $id } during { $phase }.
plan-error-pattern = Bad device-name pattern "{ $pattern }": use names with * and ?, separated by commas, or all.
plan-error-stage = Bad stage "{ $stage }": use --stage NAME=PATTERNS, with a name of letters, digits, - or _.
plan-error-duplicate = Stage "{ $stage }" is given twice.
plan-error-reserved = "{ $stage }" is a fixed phase name (the { $track } track uses pilot or lab, then all, or monitor, disable and delete): give the stage another name.
plan-error-first-scope = The { $phase } phase needs its devices: --stage { $phase }=PATTERNS.
plan-error-param = Bad value for { $name }: { $value }.
plan-error-no-plan = No plan in this database: start one with kizuna plan init --db FILE --track workaround --expires DATE --stage pilot=PATTERNS.
plan-error-complete = The plan is complete: nothing left to advance.
plan-error-clock = Now is before the active phase began ({ $started }): check the clock or KIZUNA_NOW.
plan-error-empty = { $what } must not be empty.
plan-error-other = { $error }
plan-error-date = Bad date "{ $date }": use YYYY-MM-DD.
plan-error-db = No database at { $path }: scan evidence into it first (kizuna scan … --db FILE).

## report.html (kizuna scan --out DIR).

report-title = kizuna report: secure channels and machine SIDs
report-summary = Summary
report-checklist = The article's checklist
report-charts = Charts
report-findings = Findings
report-devices = Devices
report-devices-count = Devices ({ $count })
report-inputs = Inputs
report-footer = Generated by kizuna { $version }. This file is self-contained: it loads nothing and opens offline.
report-span = Events from { $first } to { $last } (UTC days).
report-none = none
report-more = {" "}and { $count } more
report-problem-a = Secure channels that keep breaking (problem A)
report-problem-b = Duplicate machine SIDs (problem B)
report-problem-w = The workaround and its rollback
report-problem-l = Look-alikes: not problem A or B
report-a-now = devices failing now
report-a-later = devices at risk later (rotation stopped, or failures expected while older DCs remain)
report-b-now = devices refused now (both ends enforce the check, a DC's SID, or LsaSrv 6167 logged)
report-b-later = devices that break once their pair is updated
report-w-devices = devices with the workaround written in their registry
report-w-gpos = GPOs carrying the workaround
report-l-now = devices failing for another reason now (Machine Identity Isolation, Kerberos RC4 retirement, NTLMv1 blocked, a restored DC and the members it rejects)
report-l-later = devices warned in audit mode (RC4, NTLMv1) that fail at enforcement
report-state-ok = OK
report-state-action = ACTION
report-state-unknown = NOT CHECKED
report-check-sc = Members set up their secure channel without failures (DC NETLOGON 5722/5805/5723, client 3210/5719).
report-check-lookalikes = Failures that look like problem A are told apart: Machine Identity Isolation (KZ-MII-001), Kerberos RC4 retirement (KZ-KRB-001), NTLMv1 blocked (KZ-NTLM-001), a DC restored the wrong way (KZ-DC-002).
report-check-scope = "Refuse machine account password changes" reaches domain controllers only (GPO linked to OU=Domain Controllers with a ProductType = 2 WMI filter).
report-check-disable = DisablePasswordChange is not used anywhere.
report-check-expiry = Every workaround GPO records an expiry date that has not passed.
report-check-rollback = After its expiry, no device still holds the workaround's registry values.
report-check-sid-now = No two devices that enforce the machine-ID check share a machine SID.
report-check-sid-later = No duplicate machine SIDs are waiting for the update that makes them fail.
report-check-accounts = Computer accounts rotate their passwords; inactive ones are cleaned up.
report-baseline = Baseline findings to expect while the workaround is in place
report-baseline-refuse = RefusePasswordChange=1 on DCs: PingCastle A-DCRefuseComputerPwdChange at once; S-PwdLastSet-45/-90 for servers and S-PwdLastSet-DC as accounts age.
report-baseline-age = MaximumPasswordAge 0 or above 30: CIS / DISA STIG "maximum machine account password age: 30 or fewer, but not 0".
report-baseline-disable = DisablePasswordChange=1: CIS / DISA STIG "machine account password changes must not be disabled".
report-baseline-none = No workaround setting was seen in the evidence read.
report-chart-empty = No data for this chart in the evidence read.
report-chart-events = Watched events per day, by domain controller
report-other-dcs = { $count } other DCs
report-chart-failures = Secure-channel failure events per device and day ({ $count } of { $total } devices with failures)
report-chart-sid = Devices per duplicate-SID group
report-chart-rotation = Enabled computer accounts by machine password age
report-age-30 = up to 30 days
report-age-45 = 31–45 days
report-age-60 = 46–60 days
report-age-90 = 61–90 days
report-age-older = over 90 days
report-age-never = never set
report-filter = Filter:
report-about = What this checks:
report-col-severity = Severity
report-col-rule = Rule
report-col-title = Finding
report-col-count = Findings / devices
report-col-subjects = Subjects:
report-col-time = Time (UTC)
report-col-evidence = Evidence
report-col-source = Source
report-col-device = Device
report-col-role = Role
report-col-domain = Domain
report-col-build = Build
report-col-sidcheck = SID check
report-col-sid = Machine SID
report-col-worst = Worst finding
report-col-status = Status
report-col-kind = Kind
report-col-path = Path
report-col-files = Files
report-col-records = Records
report-col-kept = Kept

## What each rule checks (report.html).

KZ-SC-001-about = Secure-channel setup failures seen from either end: DC NETLOGON 5722/5805/5723, client NETLOGON 3210/5719, netlogon.log. Severity follows the NTSTATUS: a rejected password is high, an unreachable DC medium, the one expected 0xC00000E5 of a Server 2025 member low.
KZ-SC-002-about = The same device failing again after a repair, or after a quiet gap: repairs that do not stick, the mark of problem A once every DC runs Windows Server 2025.
KZ-SC-003-about = The DC has no account for the device (5723, 0xC000018B): the account was deleted or reset; the device needs a rejoin, not a reset.
KZ-SC-004-about = A device rejected a day or more after its own password change: it returned to an older machine password, as after a VM snapshot or backup restore.
KZ-MII-001-about = A client that enforces Machine Identity Isolation in a domain below the Windows Server 2025 functional level and fails to authenticate since the September 2026 updates: revert the setting, restart, repair.
KZ-KRB-001-about = Kerberos refused a device's encryption types (KDC events 201–209, 4768/4769 with 0xE): the RC4 retirement of 2026, which looks like a broken trust but needs AES keys, not a password re-sync.
KZ-SID-001-about = Members with the same machine SID whose builds both enforce the machine-ID check (KB5065426 and later): SMB, RDP and WinRM between them fail now.
KZ-SID-002-about = Members with the same machine SID where one end does not enforce the check yet: they fail once both run an affected build.
KZ-SID-003-about = Members that carry their domain's SID (built from a DC image): every enforcing member refuses them.
KZ-SID-004-about = LsaSrv 6167 logged: the device's check refused a peer with its own machine SID.
KZ-POL-001-about = RefusePasswordChange=1 on a workstation or member server: the DC-only half of the workaround reached members.
KZ-POL-002-about = DisablePasswordChange=1: the device never changes its machine password, a baseline finding and not the article's workaround.
KZ-POL-003-about = MaximumPasswordAge 0 or beyond 999: the member half of the workaround, outside Microsoft's documented range.
KZ-POL-004-about = The workaround's registry values still on devices after its expiry, read from SYSTEM hives dated by when they were written.
KZ-DC-001-about = Every DC seen runs Windows Server 2025: the condition under which problem A appears.
KZ-DC-002-about = A DC that logged a USN rollback or an unsupported restore (Directory Service 2095/2103): the members it rejects look rolled back but are not.
KZ-NTLM-001-about = NTLMv1-derived single sign-on audited or blocked (NTLM Operational 4024/4025, KB5066470): an "access denied" that is not problem A or B.
KZ-AD-001-about = Computers that log on but whose machine password stopped changing: a secure channel that cannot rotate breaks at the next mismatch.
KZ-AD-002-about = Domain controllers whose own machine password is older than it should be.
KZ-AD-003-about = Computer accounts without AES Kerberos keys (RC4 or DES only).
KZ-AD-004-about = A GPO that refuses machine password changes is linked beyond OU=Domain Controllers or lacks the ProductType = 2 WMI filter.
KZ-AD-005-about = A GPO carrying the workaround: its settings, scope, expiry and the baseline findings it brings.
KZ-AD-006-about = Enabled computer accounts with neither a logon nor a password change for a long time.

## Weekly review (kizuna report)
review-title = kizuna weekly review: { $since } to { $until }
review-baseline-window = Compared with the previous window: { $since } to { $until }
review-baseline-scan = Compared with scan #{ $id } of { $time } in this store
review-baseline-scan-other = Compared with scan #{ $id } of { $time } in { $db }
review-counts = Findings: { $new } new, { $persisting } persisting, { $resolved } resolved
review-changes = What changed
review-heading-new = New
review-heading-persisting = Persisting
review-heading-resolved = Resolved
review-change-new = NEW
review-change-persisting = PERSISTING
review-change-resolved = RESOLVED
review-none = None.
review-resolved-note = Resolved means not found in this window's evidence: check that the logs of every DC for the window were collected before closing a ticket.
review-joined = joined: { $names }
review-left = left: { $names }
review-severity-was = was { $severity }
review-events = Watched events (previous window → this window)
review-per-day = Per day (previous window | this window)
review-per-day-failures = Failures
review-per-day-events = Events
review-devices = Devices to review
review-col-change = Change
review-col-moved = Changed
review-col-before = Before
review-col-now = Now
review-col-last-failure = Last failure
review-col-provider = Provider

## Command-line notes (stderr)
cli-scan-recorded = recorded as scan #{ $id } in { $db } (kizuna report --db { $db } --compare-to { $id })
progress-reading = kizuna: reading { $done }/{ $total } files, { $mb_done }/{ $mb_total } MB, { $records } records ({ $rate } records/s)
progress-sid = kizuna: asked { $done }/{ $total } hosts: { $answered } answered, { $failed } gave no answer ({ $rate } hosts/s)
cli-scan-not-recorded = the scan was not recorded in { $db } (kizuna report cannot compare with it): { $error }
cli-error = error: { $error }
cli-nothing-readable = nothing readable in the given paths
cli-sid-directory = { $server }: { $computers } enabled computers to ask ({ $disabled } disabled, not asked)
cli-sid-no-targets = no host to ask: give host names, addresses or ranges, --hosts-file FILE, or --server ldap://DC
cli-sid-no-answer = none of the { $total } hosts asked gave an answer (the reasons are above)
cli-report-written = { $path } written ({ $files })
cli-ad-needs-server = ad audit needs --server ldap[s]://HOST[:PORT]
cli-plan-not-used = the plan in the store is not used for KZ-POL-004: { $error }
cli-demo-lab = demo: lab domain { $domain } ({ $devices } devices over { $days } days, { $files } files) written to { $evidence }; what a correct scan finds: { $truth }; scanned as of the lab's last day with its workaround expiry as --expires { $expires }
cli-review-window = --since must be before --until
cli-review-no-store = { $path }: no kizuna store there (run `kizuna scan PATH... --db FILE` first)
cli-review-no-scan = --compare-to { $what }: no scan #{ $id } in { $db }; recorded scans: { $scans }
cli-review-no-scans = --compare-to { $what }: no scan recorded in { $db }
cli-review-none = none
cli-gpo-unchecked = note: no evidence checked. With --db STORE (a kizuna scan store) kizuna first checks that the failures are problem A and not a look-alike the workaround cannot fix.
cli-gpo-lookalikes-refused = not written: the evidence shows no failure of problem A, and { $count ->
    [one] one device fails
   *[other] { $count } devices fail
} for reasons the workaround cannot fix: { $devices }. See those findings (kizuna report --db …) and fix their cause; --despite-lookalikes writes the kit anyway.
cli-gpo-lookalikes-despite = warning: the evidence shows no failure of problem A; { $count } devices fail for other reasons: { $devices }. Written anyway (--despite-lookalikes).
cli-gpo-lookalikes-beside = warning: besides problem A, { $count ->
    [one] one device fails
   *[other] { $count } devices fail
} for reasons the workaround cannot fix: { $devices }. Keep them out of the pilot OU and fix their cause.
cli-gpo-no-failures = note: the evidence of --db shows no failing secure channel: make sure the logs of every DC were scanned before applying a workaround.
cli-gpo-zero-age = note: MaximumPasswordAge=0 pauses rotation as the article does, but 0 is outside the documented 1–999: CIS 2.3.6.5 and the STIG will flag it. --member-max-age 999 stays within the range. DisablePasswordChange is never used.
cli-gpo-workaround = DC GPO "{ $dc_gpo }" → { $dc_link } (WMI filter ProductType = 2); member GPO "{ $member_gpo }" → { $member_link }; expires { $expires }
cli-gpo-rollback = rollback to RefusePasswordChange=0 and MaximumPasswordAge=30, computer version { $version }
cli-files-in = { $count } files in { $path }:
cli-scripts-written = scripts { $kit }: { $count } files written to { $path } (see README.md there)
cli-lab-generated = lab: { $scenario } seed { $seed } ({ $domain }): { $devices } devices, { $days } days from { $start }; { $files } files, { $mb } MB, { $events } event records, { $findings } expected findings (+{ $directory } from the directory, +{ $expiry } with --expires { $expires }); { $seconds } s
cli-lab-paths = evidence: { $evidence }   directory: { $directory }   ground truth: { $truth }
serve-listening = serving on { $url } (store: { $db }); stop with Ctrl-C
serve-no-db = kizuna serve needs --db FILE or --db postgres://…
serve-token-made = token { $id } ({ $name }, scope { $scope }) made; its secret is on stdout and is shown only now
serve-token-revoked = token { $id } revoked
serve-token-not-found = no live token { $id }
serve-tokens-none = no tokens yet: kizuna serve token create --db … --name NAME --scope admin
web-title = kizuna: secure channels and machine SIDs
web-login = Sign in
web-name = Account
web-password = Password
web-sign-in = Sign in
web-sign-out = Sign out
web-login-failed = Wrong account or password.
web-login-expired = The sign-in form expired: try again.
web-signed-in-as = { $name } ({ $role })
web-overview = Overview
web-devices = Devices
web-filter = Filter
web-search = Name, domain or SID
web-any-role = any role
web-any-severity = any severity
web-shown = { $from }–{ $to } of { $total } devices
web-prev = Previous
web-next = Next
web-no-devices = No device matches.
web-findings = Findings ({ $count })
web-no-findings = No findings.
web-events = Events about this device (newest { $count })
web-no-events = No events about this device.
web-uploads = Latest uploads
web-no-uploads = Nothing uploaded yet.
web-plan = Plan
web-plan-none = No plan yet (kizuna plan init).
web-plan-phase = Plan { $id } ({ $track }): phase { $phase }, { $days } days before the workaround's expiry
web-counts = { $devices } devices, { $findings } findings, { $inputs } inputs
web-by-severity = Findings by severity
web-sid-groups = Duplicate-SID findings
web-failing = Devices failing now (KZ-SC-001)
web-not-found = No device { $name }.
web-sources = Evidence
serve-account-made = account { $name } ({ $role }) made
web-sid = Duplicate SIDs
web-sid-title = Devices sharing a machine SID
web-sid-none = No two devices share a machine SID.
web-sid-shared = shared SID { $sid }
web-reports = Reports
web-reports-about = Every upload is recorded as a scan of what it brought; a scan's files show what it found then, as kizuna scan --out writes them.
web-reports-current = All evidence, judged now
web-reports-none = No scans recorded yet.
web-reports-shown = { $from }–{ $to } of { $total } scans
web-col-scan = Scan
web-col-by = By
web-col-files = Download
web-by-cli = command line
web-files-not-kept = its inputs were not recorded
web-trend = Per day, { $days } days up to { $until }
web-trend-failures = Secure-channel failures
web-trend-events = Watched events
web-findings-col = Findings
web-inputs-col = Inputs
web-reports-scans = Recorded scans
web-upload = Upload
web-upload-about = Files or zip bundles collected from computers (event logs, netlogon.log, registry hives, inventories). They are read as kizuna scan reads them, and recorded as a scan.
web-upload-files = Files
web-upload-send = Upload
web-upload-done = { $inputs } inputs read ({ $records } records), recorded as scan #{ $id }.
web-upload-nothing = Nothing readable came with this upload.
web-col-kind = Kind
web-col-records = Records
web-col-errors = Errors
web-forbidden-title = Not allowed
web-forbidden = Your role ({ $role }) does not allow this.
web-plan-note-title = Record a note
web-plan-note = Note
web-plan-tickets = Helpdesk tickets since the last note
web-plan-note-send = Record
web-admin = Administration
web-tokens = API tokens
web-token-name = Name
web-token-scope = Scope
web-token-create = Make a token
web-token-made = Token { $id } ({ $name }, scope { $scope }) made. Copy its secret now: it is shown only this once.
web-token-revoke = Revoke
web-accounts = Accounts
web-role = Role
web-account-create = Make an account
web-audit = Audit log (newest { $count })
web-col-created = Created
web-col-last-used = Last used
web-col-revoked = Revoked
web-col-disabled = Disabled
web-col-action = Action
web-col-detail = Detail
web-col-remote = From
web-login-throttled = Too many failed sign-ins from here or for this account: wait 15 minutes and try again.
web-review = Weekly review
web-review-about = What kizuna report shows: the findings of the window against the window before (new, persisting, resolved), failures and events per day, devices.
web-review-days = Last { $days } days:
web-timeline = Timeline: failures and events per day
