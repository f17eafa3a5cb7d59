# 端末のセキュア チャンネルを検査し、壊れていたら再作成する(対話認証)
$Computer = $env:COMPUTERNAME
if (-not (Test-ComputerSecureChannel)) {
    Test-ComputerSecureChannel -Repair -Credential (Get-Credential) -Verbose
}

# 正常なら True、破損していれば False を返す
Test-ComputerSecureChannel -Verbose

# 調査用にオン → 収集後に必ずオフ
nltest /dbflag:0x2080ffff
# ・・・
nltest /dbflag:0x0
