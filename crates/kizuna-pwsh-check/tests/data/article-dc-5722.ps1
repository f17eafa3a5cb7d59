$since = (Get-Date).AddDays(-3)
$filter = @{ LogName='System'; ProviderName='NETLOGON'; Id=5722; StartTime=$since }
Get-WinEvent -FilterHashtable $filter |
  ForEach-Object {
    if ($_.Message -match 'computer\s+([A-Za-z0-9\-_]+)\s+failed to authenticate') {
      $client = $matches[1]
      [PSCustomObject]@{ When=$_.TimeCreated; Client=$client; DC=$_.MachineName }
    }
  } | Sort-Object When -Descending | Format-Table -Auto
