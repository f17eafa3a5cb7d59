Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

# Generation parameters. An empty domain means: the domain this computer is joined to.
$KizunaVersion = '@@VERSION@@'
$KizunaDomain = @@DOMAIN@@
$KizunaMaxLine = 400

function Test-KizunaElevated {
    $identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
    $principal = New-Object System.Security.Principal.WindowsPrincipal($identity)
    return $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
}

function Get-KizunaNltestPath {
    $system = 'System32'
    if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
        # A 32-bit PowerShell on 64-bit Windows sees SysWOW64 as System32.
        $system = 'Sysnative'
    }
    return (Join-Path (Join-Path $env:windir $system) 'nltest.exe')
}

# Runs nltest and reads its result by numbers, not by words: the text of nltest follows
# the language of Windows, the "1311 0x51f ERROR_NO_LOGON_SERVERS" triples do not.
function Invoke-KizunaNltest {
    param([string[]]$Arguments)
    $exe = Get-KizunaNltestPath
    if (-not (Test-Path -LiteralPath $exe)) {
        throw ('{0} not found' -f $exe)
    }
    # nltest writes failures to stderr; with 'Stop', Windows PowerShell 5.1 would turn
    # that into a terminating error before the exit code could be read.
    $ErrorActionPreference = 'Continue'
    $lines = @(& $exe @Arguments 2>&1 | ForEach-Object { [string]$_ })
    $exitCode = $LASTEXITCODE
    $code = '0'
    $name = ''
    $dc = ''
    foreach ($line in $lines) {
        if ($code -eq '0' -and $line -match '(\d+)\s+0x([0-9A-Fa-f]+)(\s+([A-Za-z][A-Za-z0-9_]*))?') {
            $hex = $Matches[2].ToLowerInvariant().TrimStart('0')
            if ($hex -ne '') {
                $code = $hex
                if ($Matches[4]) {
                    $name = $Matches[4]
                }
            }
        }
        if ($dc -eq '' -and $line -match '\\\\([A-Za-z0-9][A-Za-z0-9.-]*)') {
            $dc = $Matches[1]
        }
    }
    return [PSCustomObject]@{
        ExitCode = $exitCode
        Code = $code
        Name = $name
        Dc = $dc
        Ok = (($exitCode -eq 0) -and ($code -eq '0'))
    }
}

function Get-KizunaNltestSummary {
    param($Result)
    if ($Result.Code -ne '0') {
        return ('0x{0} {1}' -f $Result.Code, $Result.Name).Trim()
    }
    if ($Result.ExitCode -ne 0) {
        return ('exit code {0}' -f $Result.ExitCode)
    }
    return 'success'
}

function Format-KizunaStatus {
    param([string]$Status, [string]$Text)
    $line = '{0}: {1}' -f $Status, ($Text -replace '\s+', ' ').Trim()
    if ($line.Length -gt $KizunaMaxLine) {
        $line = $line.Substring(0, $KizunaMaxLine - 3) + '...'
    }
    return $line
}

function Get-KizunaMembership {
    $cs = Get-CimInstance -ClassName Win32_ComputerSystem
    return [PSCustomObject]@{
        Computer = [string]$env:COMPUTERNAME
        Joined = [bool]$cs.PartOfDomain
        Domain = [string]$cs.Domain
        # DomainRole 4 = backup domain controller, 5 = primary domain controller.
        IsDc = ([int]$cs.DomainRole -ge 4)
    }
}

# Reads the secure channel without changing it: Test-ComputerSecureChannel (a test only)
# and nltest /sc_query. Healthy only when both agree.
function Test-KizunaChannel {
    param([string]$Domain)
    $cmdletOk = $false
    $cmdletError = ''
    try {
        $cmdletOk = [bool](Test-ComputerSecureChannel -ErrorAction Stop)
    } catch {
        $cmdletError = $_.Exception.Message
    }
    $query = Invoke-KizunaNltest -Arguments @(('/sc_query:{0}' -f $Domain))
    $cmdletText = [string]$cmdletOk
    if ($cmdletError -ne '') {
        $cmdletText = 'error ({0})' -f $cmdletError
    }
    return [PSCustomObject]@{
        Healthy = ($cmdletOk -and $query.Ok)
        Summary = ('Test-ComputerSecureChannel: {0}; nltest /sc_query: {1}' -f $cmdletText, (Get-KizunaNltestSummary $query))
        Query = $query
    }
}

# The check shared by every script: OK, SKIP, NO-DC or BROKEN, with one status line.
function Invoke-KizunaCheck {
    if (-not (Test-KizunaElevated)) {
        throw 'not elevated: run as SYSTEM (Intune, scheduled task) or from an elevated PowerShell'
    }
    $m = Get-KizunaMembership
    $result = [PSCustomObject]@{
        Status = 'SKIP'
        Line = ''
        Computer = $m.Computer
        Domain = $m.Domain
    }
    if (-not $m.Joined) {
        $result.Line = Format-KizunaStatus -Status 'SKIP' -Text ('{0} is not joined to a domain (workgroup {1}); nothing to check' -f $m.Computer, $m.Domain)
        return $result
    }
    if ($m.IsDc) {
        $result.Line = Format-KizunaStatus -Status 'SKIP' -Text ('{0} is a domain controller: it has no secure channel of its own to test (check domain controllers with dcdiag)' -f $m.Computer)
        return $result
    }
    if ($KizunaDomain -ne '' -and $m.Domain -ne $KizunaDomain) {
        $result.Line = Format-KizunaStatus -Status 'SKIP' -Text ('{0} is joined to {1}, not to {2}: these scripts were generated for {2} only' -f $m.Computer, $m.Domain, $KizunaDomain)
        return $result
    }
    $check = Test-KizunaChannel -Domain $m.Domain
    if ($check.Healthy) {
        $result.Status = 'OK'
        $result.Line = Format-KizunaStatus -Status 'OK' -Text ('secure channel of {0} to {1} is healthy (DC {2})' -f $m.Computer, $m.Domain, $check.Query.Dc)
        return $result
    }
    # Broken, or no domain controller at all? Ask the DC locator (DNS and an LDAP ping: no
    # secure channel needed, nothing is changed).
    $locate = Invoke-KizunaNltest -Arguments @(('/dsgetdc:{0}' -f $m.Domain), '/force')
    if (-not $locate.Ok) {
        $result.Status = 'NO-DC'
        $result.Line = Format-KizunaStatus -Status 'NO-DC' -Text ('no domain controller of {0} answers {1} ({2}); off the corporate network? The secure channel is checked again at the next run' -f $m.Domain, $m.Computer, (Get-KizunaNltestSummary $locate))
        return $result
    }
    $result.Status = 'BROKEN'
    $result.Line = Format-KizunaStatus -Status 'BROKEN' -Text ('secure channel of {0} to {1} is broken ({2}); DC {3} answers' -f $m.Computer, $m.Domain, $check.Summary, $locate.Dc)
    return $result
}
