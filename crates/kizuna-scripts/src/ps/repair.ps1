
# Credential-free repairs, cheapest first. None of them needs a password: nltest /sc_reset
# rebuilds the channel with the secret the computer already has, and
# Test-ComputerSecureChannel -Repair, given no credential and run as SYSTEM, resets the
# machine password through the computer's own identity, which works while the domain
# still accepts the local secret on some DC.
function Repair-KizunaChannel {
    param([string]$Domain)
    $steps = New-Object 'System.Collections.Generic.List[string]'
    $codes = New-Object 'System.Collections.Generic.List[string]'
    $method = ''
    $dc = ''
    $repairError = ''

    # 1. Rebuild the channel with any DC of the domain.
    $reset = Invoke-KizunaNltest -Arguments @(('/sc_reset:{0}' -f $Domain))
    $codes.Add($reset.Code)
    $check = Test-KizunaChannel -Domain $Domain
    $codes.Add($check.Query.Code)
    $steps.Add(('nltest /sc_reset:{0}: {1}; then {2}' -f $Domain, (Get-KizunaNltestSummary $reset), $check.Summary))
    if ($check.Healthy) {
        $method = 'nltest /sc_reset'
        $dc = $check.Query.Dc
    }

    # 2. Rebuild it with the PDC emulator: a password change made on another DC reaches the
    #    PDC emulator first, so it may know the password when other DCs do not yet.
    if ($method -eq '') {
        $pdc = Invoke-KizunaNltest -Arguments @(('/dsgetdc:{0}' -f $Domain), '/pdc', '/force')
        if ($pdc.Ok -and $pdc.Dc -ne '') {
            $target = '{0}\{1}' -f $Domain, $pdc.Dc
            $reset = Invoke-KizunaNltest -Arguments @(('/sc_reset:{0}' -f $target))
            $codes.Add($reset.Code)
            $check = Test-KizunaChannel -Domain $Domain
            $codes.Add($check.Query.Code)
            $steps.Add(('nltest /sc_reset:{0}: {1}; then {2}' -f $target, (Get-KizunaNltestSummary $reset), $check.Summary))
            if ($check.Healthy) {
                $method = 'nltest /sc_reset to the PDC emulator'
                $dc = $check.Query.Dc
            }
        } else {
            $steps.Add(('nltest /dsgetdc:{0} /pdc: {1}' -f $Domain, (Get-KizunaNltestSummary $pdc)))
        }
    }

    # 3. Reset the machine password with the computer's own identity (no -Credential).
    if ($method -eq '') {
        try {
            $null = Test-ComputerSecureChannel -Repair -Confirm:$false -ErrorAction Stop
            $steps.Add('Test-ComputerSecureChannel -Repair: done')
        } catch {
            $repairError = [string]$_.FullyQualifiedErrorId
            $steps.Add(('Test-ComputerSecureChannel -Repair: {0} [{1}]' -f $_.Exception.Message, $repairError))
        }
        $check = Test-KizunaChannel -Domain $Domain
        $codes.Add($check.Query.Code)
        $steps.Add(('after Test-ComputerSecureChannel -Repair: {0}' -f $check.Summary))
        if ($check.Healthy) {
            $method = 'Test-ComputerSecureChannel -Repair'
            $dc = $check.Query.Dc
        }
    }

    return [PSCustomObject]@{
        Healthy = ($method -ne '')
        Method = $method
        Dc = $dc
        Steps = $steps
        Codes = $codes
        RepairError = $repairError
        Summary = $check.Summary
    }
}

# What the failed repairs say about the need for a credential. Empty when they do not say
# that a credential would help (then the status is FAILED).
function Get-KizunaEscalation {
    param($Repair, [string]$Computer, [string]$Domain)
    # No computer account (or one without a trust password) in the domain:
    # ERROR_NO_TRUST_SAM_ACCOUNT / STATUS_NO_TRUST_SAM_ACCOUNT.
    $missing = @('6fb', 'c000018b')
    # The domain rejects this computer's password: access denied, logon failure, no trust
    # secret, trust relationship failure (Win32 and NTSTATUS forms).
    $rejected = @('5', '52b', '52e', '6fa', '6fc', '6fd', 'c0000022', 'c000006a', 'c000006d', 'c000018a', 'c000018c', 'c000018d')
    $accountMissing = $Repair.RepairError -like 'CannotFindMachineAccount*'
    $domainRefuses = $Repair.RepairError -like 'FailToResetPasswordOnDomain*'
    foreach ($code in $Repair.Codes) {
        if ($missing -contains $code) {
            $accountMissing = $true
        }
        if ($rejected -contains $code) {
            $domainRefuses = $true
        }
    }
    if ($accountMissing) {
        return Format-KizunaStatus -Status 'NEEDS-CREDENTIAL' -Text ('{1} has no usable computer account for {0} ({2}). Help desk: check the account in Active Directory (deleted? reset?), then restore it or re-join {0} with a join account' -f $Computer, $Domain, $Repair.Summary)
    }
    if ($domainRefuses) {
        return Format-KizunaStatus -Status 'NEEDS-CREDENTIAL' -Text ('{1} rejects the machine password of {0} and the credential-free repairs failed ({2}). Help desk: on {0} run Reset-ComputerMachinePassword -Server <DC> -Credential <join account>, then restart it' -f $Computer, $Domain, $Repair.Summary)
    }
    return ''
}

# Check, and repair when broken: OK, SKIP, NO-DC, REPAIRED, NEEDS-CREDENTIAL or FAILED.
function Invoke-KizunaRemediation {
    $before = Invoke-KizunaCheck
    Write-KizunaLog -Message ('check: {0}' -f $before.Line)
    if ($before.Status -ne 'BROKEN') {
        return $before
    }
    $repair = Repair-KizunaChannel -Domain $before.Domain
    foreach ($step in $repair.Steps) {
        Write-KizunaLog -Message ('step: {0}' -f $step)
    }
    $result = [PSCustomObject]@{
        Status = 'REPAIRED'
        Line = ''
        Computer = $before.Computer
        Domain = $before.Domain
    }
    if ($repair.Healthy) {
        $result.Line = Format-KizunaStatus -Status 'REPAIRED' -Text ('secure channel of {0} to {1} restored by {2} (DC {3}). If it breaks again, the machine-password changes keep failing: see kizuna scan and the GPO workaround' -f $before.Computer, $before.Domain, $repair.Method, $repair.Dc)
        return $result
    }
    $escalation = Get-KizunaEscalation -Repair $repair -Computer $before.Computer -Domain $before.Domain
    if ($escalation -ne '') {
        $result.Status = 'NEEDS-CREDENTIAL'
        $result.Line = $escalation
        return $result
    }
    $result.Status = 'FAILED'
    $result.Line = Format-KizunaStatus -Status 'FAILED' -Text ('the credential-free repairs did not restore the secure channel of {0} to {1} ({2}); steps in {3}' -f $before.Computer, $before.Domain, $repair.Summary, (Join-Path $env:ProgramData 'kizuna\SecureChannel.log'))
    return $result
}
