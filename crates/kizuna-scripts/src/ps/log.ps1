
# The log: $env:ProgramData\kizuna\SecureChannel.log, UTF-8, at most about 2 x 1 MiB (the
# current file and one older, SecureChannel.log.1). It holds status lines and the steps
# tried: no password, no credential, nothing secret ever reaches this script.
$KizunaLogMaxBytes = 1048576
$KizunaLogPath = ''
$KizunaLogScript = ''

# SYSTEM writes here, so the folder and the log must belong to SYSTEM or Administrators
# (not to a user who created them first) and must not be links; the folder gets a
# protected ACL. Logging is skipped when that cannot be ensured: a repair never fails
# because of its log.
function Initialize-KizunaLog {
    param([string]$ScriptName)
    $script:KizunaLogScript = $ScriptName
    try {
        $dir = Join-Path $env:ProgramData 'kizuna'
        if (-not (Test-Path -LiteralPath $dir)) {
            $null = New-Item -ItemType Directory -Path $dir -Force
        }
        $item = Get-Item -LiteralPath $dir -Force
        if (($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0) {
            return
        }
        $owner = (Get-Acl -LiteralPath $dir).GetOwner([System.Security.Principal.SecurityIdentifier]).Value
        if (@('S-1-5-18', 'S-1-5-32-544') -notcontains $owner) {
            return
        }
        $acl = New-Object System.Security.AccessControl.DirectorySecurity
        $acl.SetAccessRuleProtection($true, $false)
        $inherit = [System.Security.AccessControl.InheritanceFlags]'ContainerInherit, ObjectInherit'
        $propagate = [System.Security.AccessControl.PropagationFlags]::None
        $allow = [System.Security.AccessControl.AccessControlType]::Allow
        # SYSTEM and Administrators: full control; Users: read.
        foreach ($entry in @(@('S-1-5-18', 'FullControl'), @('S-1-5-32-544', 'FullControl'), @('S-1-5-32-545', 'ReadAndExecute'))) {
            $sid = New-Object System.Security.Principal.SecurityIdentifier($entry[0])
            $rights = [System.Security.AccessControl.FileSystemRights]$entry[1]
            $rule = New-Object System.Security.AccessControl.FileSystemAccessRule($sid, $rights, $inherit, $propagate, $allow)
            $acl.AddAccessRule($rule)
        }
        Set-Acl -LiteralPath $dir -AclObject $acl
        $path = Join-Path $dir 'SecureChannel.log'
        if (Test-Path -LiteralPath $path) {
            $file = Get-Item -LiteralPath $path -Force
            if (($file.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0) {
                return
            }
            $fileOwner = (Get-Acl -LiteralPath $path).GetOwner([System.Security.Principal.SecurityIdentifier]).Value
            if (@('S-1-5-18', 'S-1-5-32-544') -notcontains $fileOwner) {
                return
            }
            if ($file.Length -ge $KizunaLogMaxBytes) {
                Move-Item -LiteralPath $path -Destination ($path + '.1') -Force
            }
        }
        $script:KizunaLogPath = $path
    } catch {
        $script:KizunaLogPath = ''
    }
}

function Write-KizunaLog {
    param([string]$Message)
    if ($script:KizunaLogPath -eq '') {
        return
    }
    try {
        $stamp = (Get-Date).ToString('yyyy-MM-dd HH:mm:sszzz', [System.Globalization.CultureInfo]::InvariantCulture)
        $text = '{0} {1} [{2} kizuna {3}] {4}' -f $stamp, $env:COMPUTERNAME, $script:KizunaLogScript, $KizunaVersion, ($Message -replace '[\r\n]+', ' ')
        Add-Content -LiteralPath $script:KizunaLogPath -Value $text -Encoding UTF8
    } catch {
        # Never let logging stop a repair.
        $script:KizunaLogPath = ''
    }
}
