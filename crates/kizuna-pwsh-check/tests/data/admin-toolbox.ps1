#requires -Version 5.1
<#
.SYNOPSIS
    A mix of everyday admin-script constructs.
#>
[CmdletBinding(SupportsShouldProcess = $true, ConfirmImpact = 'Medium')]
param(
    [Parameter(Mandatory = $true, Position = 0)]
    [ValidateNotNullOrEmpty()]
    [string[]]$ComputerName,
    [ValidateSet('Quick', 'Full')]
    [string]$Mode = 'Quick',
    [switch]$PassThru
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

enum Health {
    Healthy
    Broken
}

class Probe {
    [string]$Name
    [Health]$State = [Health]::Healthy
    Probe([string]$name) {
        $this.Name = $name
    }
    [string] ToString() {
        return '{0}={1}' -f $this.Name, $this.State
    }
}

function Get-Thing {
    [CmdletBinding()]
    param(
        [Parameter(ValueFromPipeline = $true)]
        [string]$Name
    )
    begin {
        $seen = New-Object 'System.Collections.Generic.HashSet[string]'
    }
    process {
        if ($seen.Add($Name)) {
            Write-Verbose "new: $Name ($($Name.Length) chars)"
            $Name
        }
    }
    end {
        Write-Verbose ('{0} distinct' -f $seen.Count)
    }
}

$splat = @{
    ClassName = 'Win32_ComputerSystem'
    ErrorAction = 'SilentlyContinue'
}
$cs = Get-CimInstance @splat
$report = @"
Computer: $($env:COMPUTERNAME)
Domain:   $($cs.Domain)
"@
$literal = @'
No $expansion here: {0} `n
'@
$output = & "$env:windir\System32\nltest.exe" '/sc_query:corp.example' 2>&1 | ForEach-Object { [string]$_ }
switch -Regex ($output) {
    '0x0\s+NERR_Success' { $ok = $true; break }
    'ERROR_(\w+)' { $ok = $false }
    default { }
}
foreach ($c in $ComputerName) {
    try {
        if ($PSCmdlet.ShouldProcess($c, 'Probe')) {
            $p = [Probe]::new($c)
            Write-Output $p.ToString()
        }
    } catch [System.UnauthorizedAccessException] {
        Write-Warning "denied on ${c}: $($_.Exception.Message)"
    } catch {
        throw
    } finally {
        $null = $c
    }
}
$total = 0
for ($i = 0; $i -lt 3; $i++) {
    $total += $i
}
while ($total -gt 0) { $total-- }
do { $total++ } until ($total -ge 2)
$list = 1..5 | Where-Object { $_ % 2 -eq 0 } | Measure-Object -Sum
Get-ChildItem -Path $env:TEMP -Filter *.log `
    -File -ErrorAction SilentlyContinue |
    Select-Object -First 1 -Property Name, Length
$script:counter = [int]$list.Sum
[void][System.IO.Path]::GetTempPath()
$hash = [ordered]@{ a = 1; b = @(1, 2, 3); c = @{ nested = $true } }
if ($hash.a -eq 1 -and -not $PassThru) { 'one' } elseif ($Mode -eq 'Full') { 'full' } else { 'other' }
trap { Write-Warning 'trapped'; continue }
exit 0
