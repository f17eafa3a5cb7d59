## ルール: 各検出結果のタイトル・詳細・対処。

KZ-SC-001-title = セキュア チャネルの失敗: { $device }
KZ-SC-001-detail = { $first } から { $last } の間にセキュア チャネルの失敗が { $count } 件。状態コード: { $statuses }。報告元: { $reporters }。
KZ-SC-001-remedy = { $cause ->
    [identity-isolation] この端末は、Windows Server 2025 の機能レベルに満たないドメインでマシン ID の分離(Machine Identity Isolation)を強制しています(KZ-MII-001)。パスワードの再同期や GPO の回避策では直りません。設定したのと同じ方法(Intune、GPO またはレジストリ)で無効にし、再起動してから Test-ComputerSecureChannel -Repair -Credential で修復してください。KZ-MII-001 を参照してください。
   *[other] { $kind ->
        [password] ドメイン コントローラーがこの端末のマシン パスワードを拒否しています(古いまたは誤ったパスワード)。端末で Test-ComputerSecureChannel -Repair -Credential ドメイン\参加用アカウント(または Reset-ComputerMachinePassword -Server <DC>)を実行し、nltest /sc_verify:<ドメイン> で確認してください。パスワード更新のたびに再発し、すべての DC が Windows Server 2025 の場合は、手順書の GPO 回避策を適用します: ドメイン コントローラー OU のみにリンクした GPO で「コンピューター アカウントのパスワード変更を拒否する」を有効にし、メンバーはパイロット OU からマシン パスワードの最大有効期間を設定します。
        [account] Active Directory のコンピューター アカウントが存在しないか、リセットされています。コンピューター オブジェクトが存在し有効か(削除・名前変更・別端末の参加による再作成がないか)を確認し、端末をドメインに再参加させるか、アカウントをリセットしてセキュア チャネルを修復してください。
        [connectivity] ドメイン コントローラーに到達できませんでした(ネットワーク、DNS、サイト、ファイアウォール)。信頼関係の問題ではありません。DC の DNS レコードの名前解決、端末のサイト、DC へのポートを確認し、ネットワーク修正後に再発するかを監視してください。
        [expected] Windows Server 2025 のメンバーが旧バージョンの DC に接続する際に 1 回出るのは想定内です(Kerberos によるセキュア チャネルを試した後、従来の Netlogon に切り替え)。他の失敗が続かない限り対応は不要です。UseKerberosForSecureChannels = 0 で抑止できます。
       *[other] 端末のセキュア チャネル(nltest /sc_verify:<ドメイン>)と上記の状態コードを確認し、壊れていれば Test-ComputerSecureChannel -Repair -Credential で修復してください。
    }
}
KZ-SC-002-title = セキュア チャネル失敗の再発: { $device }
KZ-SC-002-detail = セキュア チャネルが { $episodes } 回の別々の期間で壊れています(開始日: { $starts })。その間に修復またはパスワード変更が { $recoveries } 回ありました。期間は、回復をはさむか { $gap_days } 日以上離れた失敗で区切ります。最初 { $first }、最後 { $last }。
KZ-SC-002-remedy = 修復しても定着せず、次のマシン パスワード更新で再び壊れています。すべての DC が Windows Server 2025 の環境で見られるパターンです。DC 用 GPO「ドメイン コントローラー: コンピューター アカウントのパスワード変更を拒否する」(ドメイン コントローラー OU のみ)と、パイロット OU へのメンバー用 GPO で止血し、自己修復スクリプトを配布し、Microsoft の修正適用後のロールバックを計画してください。
KZ-SC-003-title = コンピューター アカウントの欠落またはリセット: { $device }
KZ-SC-003-detail = ドメイン コントローラーが、この端末の使用可能なコンピューター アカウントがないと報告しています({ $count } 回、{ $first } から { $last }、報告元: { $reporters })。状態コード 0xC000018B STATUS_NO_TRUST_SAM_ACCOUNT / NETLOGON 5723。{ $deleted ->
    [none] {""}
   *[other] セキュリティ 4743: アカウントは { $deleted } に { $deleted_by } によって削除されました。
}
KZ-SC-003-remedy = コンピューター オブジェクトが削除・無効化・名前変更されたか、同じ名前で別の端末(複製?)が参加して再作成されたかを調べてください。誤って削除した場合は AD のごみ箱から復元し、そうでなければ端末をドメインに再参加させてください。それまで端末は認証できません。
KZ-SC-004-title = スナップショットまたは復元による巻き戻しの疑い: { $device }
KZ-SC-004-detail = 端末は { $changed } に自身のマシン パスワードを変更しましたが、{ $failed }({ $days } 日後)にドメイン コントローラーがそのパスワードを誤りとして拒否しました。自分で行ったパスワード変更を忘れた端末は、巻き戻された(VM スナップショット、イメージやバックアップからの復元)可能性が高いです。{ $restored_dc ->
    [none] {""}
   *[other] ただし、拒否したドメイン コントローラー { $restored_dc } 自体がサポートされない方法で復元されています(KZ-DC-002)。DC が端末より古いパスワードを持っているため、先に DC を修復してください。
}
KZ-SC-004-remedy = ドメイン メンバーの VM スナップショットを戻した後やバックアップから復元した後は、標準手順としてマシン パスワードを再同期してください(Test-ComputerSecureChannel -Repair -Credential または Reset-ComputerMachinePassword)。パスワード更新間隔より古いスナップショットにメンバーを戻さないでください。

KZ-MII-001-title = マシン ID の分離が { $device } の信頼関係を壊しました(ドメインが Windows Server 2025 の機能レベル未満)
KZ-MII-001-detail = { $device } はマシン ID の分離(Credential Guard で保護されたマシン アカウント: { $switches } = 2)を強制しており、ビルド { $build } は { $kb }({ $date })以降これに従います。Microsoft がこれをサポートするのは Windows Server 2025 のドメイン機能レベルだけです。{ $level ->
    [unknown] ドメインの機能レベルは読んでいません(2025 未満であることをディレクトリで確認してください)。
   *[other] このドメインの機能レベルは { $level } です。
} それ以降、端末はドメインへの認証に { $count } 回失敗しました(最初は { $first })。セキュア チャネルが壊れ、キャッシュされた資格情報でのサインインはできても「このワークステーションとプライマリ ドメインとの信頼関係に失敗しました」と表示されることがあります。
KZ-MII-001-remedy = 先に Netlogon の GPO 回避策を適用したりパスワードを再同期したりしないでください。元に戻ってしまいます。マシン ID の分離を設定したのと同じ方法で無効にしてください。Intune の設定や GPO(Device Guard の Machine Identity Isolation Configuration)で設定している場合はそれを、そうでなければレジストリで HKLM\SYSTEM\CurrentControlSet\Control\Lsa または HKLM\SOFTWARE\Policies\Microsoft\Windows\DeviceGuard の MachineIdentityIsolation が 2 なら 0 にします。再起動してから Test-ComputerSecureChannel -Repair -Credential (Get-Credential) を実行してください。強制していた端末は、ドメインからの離脱と再参加が必要な場合があります。ドメインが Windows Server 2025 の機能レベルになるまで無効のままにしてください。

KZ-KRB-001-title = { $device } の暗号化の種類を Kerberos が拒否(RC4 廃止)。パスワードの不一致ではありません
KZ-KRB-001-detail = この端末のアカウントを示す Kerberos 暗号化の種類のイベントが { $count } 件あります({ $blocked ->
    [0] すべて監査の警告。
   *[other] 拒否 { $blocked } 件、残りは監査の警告。
}{ $first } から { $last }、報告元: { $reporters })。{ $account ->
    [rc4-only] アカウントは RC4 のみを許可しています(msDS-SupportedEncryptionTypes { $etypes })。
    [unset] アカウントに msDS-SupportedEncryptionTypes がありません。2026 年 4 月以降の更新を入れた DC は AES のチケットしか発行しません。
    [aes] アカウントは AES を許可しています({ $etypes })。AES キーがあるか確認してください(ドメインに AES キーができる前に設定されたパスワードには AES キーがありません)。
    [des-only] アカウントは DES のみを許可しています({ $etypes })。DES は Windows でもう使えません。
   *[unknown] ディレクトリを読んでいないため、msDS-SupportedEncryptionTypes は不明です。
}{ $withheld ->
    [0] {""}
   *[other] この端末のセキュア チャネル障害 { $withheld } 件は、マシン パスワードの障害(KZ-SC-001/002/004)として報告していません。NETLOGON のアクセス拒否(0xC0000022)がないため、この原因で説明できます。
}{ $phase ->
    [audit] { $last } の時点で RC4 廃止(KB5073381)は監査段階でした({ $since } から)。強制がこれに続きます。
    [enforced] { $last } の時点で RC4 廃止(KB5073381)は強制されていました({ $since } から)。
    [final] { $last } の時点で RC4 廃止(KB5073381)は完全に強制されていました({ $since } から、ロールバック不可{ $phase_source ->
        [secondary] と報告されています
       *[other] {""}
    })。
   *[other] {""}
}
KZ-KRB-001-remedy = これはマシン パスワードの不一致ではありません。パスワードの再同期や RefusePasswordChange/MaximumPasswordAge の回避策では直りません。Kerberos の RC4 強化(KB5073381、CVE-2026-20833。2026 年 4 月の更新で強制)以降、DC は暗号化の種類が明示されていないアカウントに AES のチケットしか発行しません。アカウントに AES を許可し(msDS-SupportedEncryptionTypes 0x18、RC4 がまだ必要な間は 0x1C)、AES キーができるようパスワードを変更してください(端末で Reset-ComputerMachinePassword)。ほかのアカウントも、すべての DC の KDC イベント 201～209 で確認してください。

KZ-SID-001-title = マシン SID の重複、認証がすでに遮断されています: { $sid }
KZ-SID-001-detail = { $count } 台の端末がマシン SID { $sid } を共有しています: { $members }。次の { $pair_count } 組は両端がマシン ID チェック({ $kb } 以降)を実施するため、相互の NTLM / Kerberos 認証が失敗します(SMB、RDP、WinRM。接続先に LsaSrv 6167): { $pairs }。{ $corroborated ->
    [yes] MachineGuid(SOFTWARE\Microsoft\Cryptography)も一致しています: { $guid_clones }。同じインストールの複製であることは確実です。
   *[other] {""}
}
KZ-SID-001-remedy = { $keep } を残し、{ $rebuild } を Sysprep を使ってゼロから再構築してください(ドメイン離脱後の Sysprep では不十分、SID 変更ツールはサポート外)。Sysprep なしの複製をやめてください。Microsoft の一時的な互換オプション(Microsoft サポート経由)は時間稼ぎにすぎず、{ $compat_expires } に終了します。
KZ-SID-002-title = マシン SID の重複、更新すると遮断されます: { $sid }
KZ-SID-002-detail = { $count } 台の端末がマシン SID { $sid } を共有しています: { $members }。まだ遮断されていませんが、次の { $pair_count } 組は両端がマシン ID チェックのあるビルドになると遮断されます: { $pairs }。チェックをもたらす更新: { $updates }。ビルド不明(推測しません): { $unknown }。{ $corroborated ->
    [yes] MachineGuid(SOFTWARE\Microsoft\Cryptography)も一致しています: { $guid_clones }。同じインストールの複製であることは確実です。
   *[other] {""}
}
KZ-SID-002-remedy = 更新が届く前に { $rebuild } を Sysprep で再構築するか({ $keep } は残す)、再構築まで更新を保留してください。ドメイン離脱後の Sysprep では不十分です。
KZ-SID-003-title = メンバーがドメイン コントローラーの SID を共有: { $sid }
KZ-SID-003-detail = ドメイン コントローラー { $dcs } はドメインの SID { $sid } を正当に共有していますが、次のメンバーも同じ SID を持っています: { $others }。ドメインの SID を持つメンバーは DC のイメージかドメインそのものの複製であり、正しく認証できる保証がありません。{ $corroborated ->
    [yes] MachineGuid(SOFTWARE\Microsoft\Cryptography)も一致しています: { $guid_clones }。同じインストールの複製であることは確実です。
   *[other] {""}
}
KZ-SID-003-remedy = { $rebuild } を Sysprep でゼロから再構築して再参加させてください。DC のイメージをメンバーに使わないでください。{ $keep } は残します。
KZ-SID-004-title = マシン ID チェックが認証を拒否(LsaSrv 6167): { $device }
KZ-SID-004-detail = { $device } が LsaSrv 6167(「マシン ID に部分的な不一致があります」)を記録しました({ $count } 回、{ $first } ～ { $last })。同じマシン SID を持つ端末からのチケットを拒否しています。SID: { $sid }。同じ SID を持つと分かっている端末: { $group }。
KZ-SID-004-remedy = { $device } とマシン SID を共有する端末を特定し(PsGetSid、またはハイブやインベントリを kizuna で読む)、複製された端末を Sysprep で再構築してください。

KZ-POL-001-title = DC 以外 { $count } 台に「コンピューター アカウントのパスワード変更を拒否する」: { $devices }
KZ-POL-001-detail = RefusePasswordChange=1 はドメイン コントローラー用の設定(元記事の回避策の DC 側)ですが、次のメンバーに適用されています: { $devices }。Domain Controllers OU 向けの GPO のリンク範囲が広すぎるか、ProductType = 2 の WMI フィルターがありません。同じリンクで DC 専用の他の設定もメンバーに届きます。
KZ-POL-001-remedy = 拒否 GPO は OU=Domain Controllers にだけリンクし、WMI フィルター「SELECT * FROM Win32_OperatingSystem WHERE ProductType = 2」を付けてください。これらのメンバーでは RefusePasswordChange を 0 に戻してください(セキュリティ オプションは GPO を外してもレジストリに残ります)。`kizuna gpo workaround` は正しく範囲を絞った GPO を作ります。
KZ-POL-002-title = マシン パスワードの変更が無効(DisablePasswordChange=1): { $devices }
KZ-POL-002-detail = 次の { $count } 台はマシン アカウントのパスワードを一切変更しません: { $devices }。これは元記事の回避策(MaximumPasswordAge と期限で一時停止する)ではなく、ベースライン違反であり、変わらないパスワードは侵害の後も使われ続けます。
KZ-POL-002-remedy = 設定元の GPO またはイメージで「ドメイン メンバー: コンピューター アカウントのパスワード変更を無効にする」を無効(DisablePasswordChange=0)にしてください。ローテーションを止める必要がある場合は、代わりに期限付きで MaximumPasswordAge を使ってください。
KZ-POL-003-title = { $count } 台で MaximumPasswordAge = { $value }
KZ-POL-003-detail = マシン パスワードの有効期間 { $value } は Microsoft の範囲(1～{ $max_age_limit } 日。0 は変更しない)外です: { $devices }。元記事の回避策のメンバー側で、ローテーション(とそれに伴う失敗)を止めますが、CIS/STIG の指摘事項(「30 以下、ただし 0 以外」)であり、アカウントが古くなるにつれ PingCastle の S-PwdLastSet も出ます。
KZ-POL-003-remedy = 変更記録に期限を書いたうえでのみ維持し、すべての DC に Microsoft の修正が入ったら 30 に戻してください(`kizuna gpo rollback`)。長く止める必要がある場合は、範囲内の大きな値(999 など)にしてください。
KZ-POL-004-title = { $read ->
    [after] 期限({ $expires })後も回避策が残る端末: { $count } 台
   *[before] 期限({ $expires })前に回避策が確認され、その後未確認の端末: { $count } 台
}
KZ-POL-004-detail = 回避策は { $expires } までに外す予定でした({ $source ->
    [plan] kizuna plan { $source_name } の期限
    [gpo] GPO「{ $source_name }」の名前にある期限
    [scan] スキャン { $source_name } に記録された期限
   *[given] --expires で指定された期限
})。{ $days } 日過ぎています。{ $read ->
    [after] その日以降に書かれた SYSTEM ハイブにまだ値が残っています: { $settings }。セキュリティ設定は「入れ墨」のように残り、GPO のリンク解除や削除ではレジストリの値は消えないため、これらの端末ではマシン パスワードの変更が拒否(DC)または停止(メンバー)されたままです。
   *[before] これらの端末の最新の SYSTEM ハイブは期限前に書かれたもので、その時点では値がありました: { $settings }。現在外れているかは不明です。
}
KZ-POL-004-remedy = { $read ->
    [after] ロールバック GPO(`kizuna gpo rollback`: RefusePasswordChange=0、MaximumPasswordAge=30)を回避策が届いていた場所にリンクし、`gpupdate /force` を実行するか次の更新を待ってから SYSTEM ハイブを再収集してスキャンし、この検出結果が消えるまで確認してください。回避策 GPO の削除はその後です。
   *[before] これらの端末の SYSTEM ハイブを再収集してスキャンしてください。{ $expires } 以降の読み取りでロールバックを確認できます。
}
KZ-DC-002-title = サポートされない方法で復元されたドメイン コントローラー(USN ロールバック): { $dc }
KZ-DC-002-detail = { $dc } がディレクトリ サービス { $ids } を記録しました({ $count } 回、{ $first } から { $last })。サポートされる手順によらずバックアップやスナップショットから復元され、Windows は Net Logon サービスを一時停止しています。この DC はメンバー自身より古いマシン パスワードを持つため、拒否されたメンバーは巻き戻されていないのに巻き戻しのように見えます(KZ-SC-004)。{ $member_count ->
    [0] この DC に拒否されたメンバーは見つかりませんでした。
   *[other] その後この DC に拒否されたメンバー { $member_count } 台: { $members }。
}
KZ-DC-002-remedy = メンバーではなく DC を対処してください。DC をネットワークから切り離し、強制降格してメタデータをクリーンアップするか、サポートされる手順(Authoritative または Non-authoritative)で復元してください(Microsoft の「USN ロールバックの検出と回復」)。HKLM\SYSTEM\CurrentControlSet\Services\NTDS\Parameters のレジストリ値「Dsa Not Writable」(4 = USN ロールバック)を確認してください。DC を直してから、まだ失敗するメンバーを修復してください(Test-ComputerSecureChannel -Repair)。

KZ-NTLM-001-title = { $device } で NTLMv1 由来の資格情報によるサインオンを{ $blocked ->
    [0] 監査
   *[other] 遮断
}(KB5066470)。信頼関係の破損ではありません
KZ-NTLM-001-detail = { $device } は NTLMv1 由来の資格情報によるシングル サインオンについて NTLM Operational イベントを { $count } 件記録しました({ $blocked ->
    [0] すべて監査の警告。
   *[other] 遮断 { $blocked } 件、残りは監査の警告。
}{ $first } から { $last })。Windows 11 24H2 と Windows Server 2025 は、Credential Guard が無効なときこれを監査し、その後遮断します(KB5066470)。{ $phase ->
    [audit] { $last } の時点では監査段階でした({ $since } から)。
    [enforced] { $last } の時点では既定で遮断されていました({ $since } から{ $phase_source ->
        [secondary] 、と報告されています
       *[other] {""}
    })。
   *[other] {""}
}この失敗はマシン パスワードの不一致でも SID の重複でもありません。
KZ-NTLM-001-remedy = このためにセキュア チャネルを修復したり Netlogon の回避策を広げたりしないでください。NTLMv1 由来の資格情報を求めているもの(多くは MS-CHAPv2: PEAP-MSCHAPv2 の無線 LAN や VPN、古いアプリケーション)を見つけ、Kerberos、NTLMv2 または証明書(EAP-TLS)に移行してください。一時しのぎとしてのみ、HKLM\SYSTEM\CurrentControlSet\Control\Lsa\MSV1_0 の値 BlockNtlmv1SSO(REG_DWORD)を 0 にすると遮断(1)ではなく監査になると報告されています。

KZ-AD-001-title = マシン パスワードの更新が止まった稼働中のコンピューター: { $count } 台
KZ-AD-001-detail = 次のコンピューターは { $active_days } 日以内にログオンしていますが、パスワードが本来の更新間隔({ $default_age } 日。SYSVOL から読んだ GPO が別の値を設定していればその値)の { $factor } 倍より古いままです: { $devices }。パスワードを変更できないセキュア チャネルは次の不一致で壊れます。すべての DC が Windows Server 2025 のドメインでは問題 A が進行中です。ワークステーションも対象です(PingCastle はサーバーのみ)。
KZ-AD-001-remedy = 各端末で `nltest /sc_verify:<ドメイン>` と netlogon.log の NlChangePassword の失敗を確認し、Test-ComputerSecureChannel -Repair で修復してください。ローテーションが失敗しているかは kizuna でイベント ログを読んで確認できます。
KZ-AD-002-title = パスワードが { $dc_days } 日より古いドメイン コントローラー: { $devices }
KZ-AD-002-detail = DC は自分のマシン パスワードを 30 日ごとに変更しますが、次の DC は { $dc_days } 日以上変更していません: { $devices }。レプリケーションか DC 同士のセキュア チャネルが失敗しているか、ローテーションが無効にされています(PingCastle S-PwdLastSet-DC)。
KZ-AD-002-remedy = レプリケーション(repadmin /showrepl)と DC の System ログの NETLOGON エラーを確認し、チャネルが壊れていれば `netdom resetpwd /server:<他の DC> /userd:<管理者> /passwordd:*` でリセットしてください。
KZ-AD-003-title = AES の Kerberos キーがないコンピューター(RC4/DES のみ): { $count } 台
KZ-AD-003-detail = msDS-SupportedEncryptionTypes に AES が含まれていません: { $devices }。2025～2026 年の Kerberos 強化後、RC4 のみのアカウントは更新済み DC への認証に失敗します。
KZ-AD-003-remedy = msDS-SupportedEncryptionTypes に AES を含め(AES のみなら 24、移行中は RC4 込みで 28)、AES キーができるようマシン パスワードをリセットしてください。
KZ-AD-004-title = 「コンピューター アカウントのパスワード変更を拒否する」が DC 以外にも及ぶ: { $gpo }
KZ-AD-004-detail = GPO { $gpo }({ $guid })は RefusePasswordChange=1 を設定しています。OU=Domain Controllers 以外のリンク: { $elsewhere }。{ $filtered ->
    [yes] ProductType = 2 の WMI フィルターで DC に限定されています。
   *[no] DC だけを選ぶ WMI フィルター(ProductType = 2)がありません。
}範囲: { $scope }。
KZ-AD-004-remedy = OU=Domain Controllers にだけリンクし、WMI フィルター「SELECT * FROM Win32_OperatingSystem WHERE ProductType = 2」を付け、他のリンクは削除してください。`kizuna gpo workaround` はこの範囲の GPO の組を生成します。
KZ-AD-005-title = 回避策の GPO が適用中: { $gpo }({ $settings })
KZ-AD-005-detail = GPO { $gpo }({ $guid }、変更 { $changed })は元記事の回避策を含みます: { $settings }。範囲: { $scope }。これにより出るベースライン指摘:{ $refuse ->
    [yes] {" "}PingCastle の A-DCRefuseComputerPwdChange(直ちに)、アカウントが古くなるにつれサーバーの S-PwdLastSet-45/-90 と DC の S-PwdLastSet-DC。
   *[no] {""}
}{ $age ->
    [yes] {" "}CIS / DISA STIG「マシン アカウントのパスワードの最長有効期間は 30 日以下、ただし 0 以外」。
   *[no] {""}
}{ $disable ->
    [yes] {" "}CIS / DISA STIG「マシン アカウントのパスワード変更を無効にしてはならない」。
   *[no] {""}
}{ $expiry ->
    [overdue] 期限 { $expires } を { $days } 日過ぎています。ロールバックしてください。
    [future] 期限は { $expires }(あと { $days } 日)です。
   *[none] 名前に期限が記録されていません(kizuna のキットは「… (expires YYYY-MM-DD)」と名付けます)。
}
KZ-AD-005-remedy = 変更記録に期限を書き、すべての DC に Microsoft の修正が入ったらロールバックを計画してください(`kizuna gpo rollback`)。それまでは上記の指摘が出ることを監査担当に説明してください。
KZ-AD-006-title = 非アクティブなコンピューター({ $inactive_days } 日間ログオンもパスワード変更もなし): { $count } 台
KZ-AD-006-detail = { $inactive_days } 日間ログオンもパスワード変更もない有効なコンピューター アカウント: { $devices }。放置されたアカウントは攻撃対象になり、その名前は別の(複製された)端末の参加で再利用されることがあります。
KZ-AD-006-remedy = 所有者に確認のうえ無効化し、後で削除してください(または隔離用 OU へ移動)。
KZ-DC-001-title = すべてのドメイン コントローラーが Windows Server 2025: { $dcs }
KZ-DC-001-detail = 確認できた { $count } 台の DC がすべて Windows Server 2025 です({ $dcs })。マシン パスワードのローテーション後にセキュア チャネルが壊れ続ける問題(元記事の問題 A)は、古い DC がなくなると現れます。
KZ-DC-001-remedy = DC の NETLOGON 5722/5805 とクライアントの 3210 を毎週確認し(`kizuna scan`)、Microsoft の修正が出たらすべての DC に適用してください。ローテーションが失敗する場合は、期限付きで DC 限定の回避策を適用してください(`kizuna gpo workaround`)。

## NTSTATUS の意味。

status-C0000022 = アクセス拒否: DC がマシン パスワードを拒否(古いまたは誤ったパスワード)
status-C000006D = ログオン失敗: 資格情報が不正
status-C000006A = パスワードが誤っている
status-C000018B = 信頼アカウントなし: コンピューター アカウントが存在しないかリセットされた
status-C000018A = 信頼シークレットなし: 端末のローカル マシン シークレットがない
status-C000005E = ログオン サーバーなし: ドメイン コントローラーに到達できない
status-C00000E5 = 内部エラー: Windows Server 2025 メンバーが旧 DC に Kerberos を試した際に 1 回出る想定内のもの
status-C0000418 = ポリシーにより NTLM がブロックされた

## 端末向けの概要。

summary-title = kizuna スキャン
summary-inputs = 入力: { $count } 件(正常 { $ok }、一部破損 { $partial }、読み取り不可 { $error })
summary-skipped = 証拠ではないためスキップ: { $count } 件({ $names })
summary-hosts = 問い合わせたホスト: { $asked } 台(応答 { $answered } 台、応答なし { $failed } 台{ $failed ->
    [0] {""}
   *[other] : { $reasons }
})
summary-input-line = { $status }  { $kind }  { $path }(レコード { $records } 件、保持 { $kept } 件)
summary-events = 監視対象イベント
summary-no-events = 監視対象イベントはありません。
summary-devices = 検出結果のある端末
summary-findings = 検出結果: { $count } 件
summary-no-findings = 検出結果はありません。
summary-evidence = 根拠({ $total } 件中 { $shown } 件):
summary-remedy = 対処:
summary-window = 期間: { $since } ～ { $until }
summary-db = 保存先: { $path }
summary-db-none = 保存先: なし(結果を残すには --out か --db を指定)
severity-critical = 重大
severity-high = 高
severity-medium = 中
severity-low = 低
severity-info = 情報

## kizuna plan: 段階的な回避策の適用と撤回、そのゲート(docs/plan.md)。

plan-title = kizuna プラン { $id }: { $track ->
    [workaround] 回避策の適用(パイロット → 段階展開 → 全体)
   *[rollback] 回避策の撤回(ラボ → 段階撤回 → 監視 → 無効化 → 削除)
}、作成 { $created }
plan-now = 現在: { $now }
plan-expiry-left = 回避策の期限: { $date }({ $days ->
    [0] 本日
   *[other] 残り { $days } 日
})
plan-expiry-overdue = 回避策の期限: { $date } — 期限を { $days } 日超過: 一時的な例外の期限が切れています。回避策を撤回するか、例外の延長を記録してください。
plan-expiry-removed = 回避策の期限: { $date } — 回避策は { $removed } に削除済みです。
plan-earliest = 残りのフェーズの最短期間で終えられる最も早い日: { $date }{ $late ->
    [yes] 。期限より後です。例外の延長を記録するか、フェーズを短くしてください。
   *[no] 。
}
plan-phases = フェーズ:
plan-state = { $state ->
    [done] 完了
    [active] 実施中
   *[pending] 未着手
}
plan-phase-name = { $kind ->
    [pilot] パイロット
    [all] 全体
    [lab] ラボ
    [monitor] 監視
    [disable] GPO 無効化
    [delete] GPO 削除
   *[stage] { $name }
}
plan-scope = { $all ->
    [yes] 全端末
   *[no] { $patterns }{ $more ->
        [0] {""}
       *[other] (ほか { $more } 件)
    }
}
plan-phase-dates = { $state ->
    [done] { $started } → { $finished }
    [active] { $started } から
   *[pending] {""}
}
plan-current = 現在のフェーズ: { $phase }({ $started } から、経過 { $days } 日)
plan-current-none = 実施中のフェーズはありません。
plan-next-phase = 次: { $phase }({ $scope })。下のゲートを通過したら: kizuna plan advance --by 名前 --why 理由
plan-next-finish = 次: プランの完了。下のゲートを通過したら: kizuna plan advance --by 名前 --why 理由
plan-next-rollback = 次: 回避策は全体に適用済みです。Microsoft の修正がすべての DC に入ったら、期限までに撤回を始めてください: kizuna plan init --track rollback --expires 日付 --stage lab=パターン
plan-next-nothing = 次: なし。回避策の GPO は削除され、マシン パスワードは再びローテーションしています。例外管理台帳の記録を閉じてください。
plan-gate = { $phase } のゲート: { $status ->
    [pass] 通過
    [block] ブロック
   *[unknown] 不明 — 新しい証拠を収集して(kizuna scan … --db ファイル)もう一度確認してください
}
plan-mark = { $status ->
    [pass] 可
    [block] 否
   *[unknown] ??
}
plan-check-fresh = 最新の証拠 { $newest }{ $unit ->
    [after] (現在より後: ログは現在までを含みます)
    [hours] 、{ $hours } 時間前(最大 { $max } 日)
   *[days] 、{ $days } 日前(最大 { $max } 日)
}
plan-check-fresh-none = 現在より前の証拠がありません: ログをこのデータベースに取り込んでください(kizuna scan … --db ファイル)
plan-check-in-phase = このフェーズの経過日数 { $days } 日(最低 { $min } 日)
plan-check-cycles = 回避策を全体から撤回してから { $days } 日(最低 { $cycle_days } 日のローテーション周期 { $cycles } 回分: { $min } 日)
plan-check-scope = { $devices ->
    [0] 証拠に対象範囲の端末がひとつもありません: パターンを確認するか、その端末のログを収集してください
   *[other] 証拠に現れる対象範囲の端末: { $devices } 台
}
plan-check-new-failures = { $since } 以降に新たなセキュア チャネル障害(KZ-SC-001)が出た対象範囲の端末: { $count } 台(0 台であること)
plan-check-failure-rate = { $since } 以降の対象範囲の 1 日あたり障害イベント数: { $per_day }({ $days } 日で { $events } 件、上限 { $max })
plan-check-rotations = { $since } 以降に自分でマシン パスワードを変更した対象範囲の端末: { $count } 台(最低 { $min } 台)
plan-check-devices = { $devices }{ $more ->
    [0] {""}
   *[other] 、ほか { $more } 台
}
plan-log = 記録(全 { $total } 件中、最新 { $shown } 件):
plan-log-entry = { $time }  { $who }  { $action ->
    [init] { $phase } でプランを開始
    [advance] { $phase } を完了(ゲート通過)
    [force] { $phase } を強制的に完了(ゲート: { $gate ->
        [pass] 通過
        [block] ブロック
       *[unknown] 不明
    })
    [record] { $phase } 中に記録
   *[superseded] 終了: { $reason } に置き換え
}
plan-log-tickets = ヘルプデスクの問い合わせ: { $count } 件
plan-log-reason = { $action ->
    [record] メモ: { $reason }
   *[other] 理由: { $reason }
}
plan-created = プラン { $id } を作成しました({ $track } トラック、{ $count } フェーズ)。{ $phase } を今から開始します。回避策の期限は { $expires } です。
plan-ended = { $forced ->
    [yes] { $phase } を強制的に完了しました(ゲート: { $status ->
        [block] ブロック
       *[unknown] 不明
    })。理由とともに強制として記録しました。
   *[no] { $phase } を完了しました。ゲートを通過しています。
}
plan-begins = { $phase } を今から開始します({ $scope })。
plan-completed = プランは完了しました。
plan-refused = { $phase } は実施中のままです。ゲートが{ $status ->
    [block] ブロック
   *[unknown] 不明(新しい証拠がない)
}です。下の通過していない項目を解消するか、--force で強制してください(--why の理由とともに強制として記録されます)。
plan-recorded = プラン { $id } の { $phase } 中の記録として追加しました。
plan-error-pattern = 端末名のパターン「{ $pattern }」が不正です: * と ? を使った名前をカンマ区切りで指定するか、all を指定してください。
plan-error-stage = ステージ「{ $stage }」が不正です: --stage 名前=パターン の形で、名前は英数字、- または _ で指定してください。
plan-error-duplicate = ステージ「{ $stage }」が 2 回指定されています。
plan-error-reserved = 「{ $stage }」は固定のフェーズ名です({ $track } トラックは pilot または lab、続いて all、または monitor、disable、delete を使います)。ステージには別の名前を付けてください。
plan-error-first-scope = { $phase } フェーズの端末を指定してください: --stage { $phase }=パターン
plan-error-param = { $name } の値が不正です: { $value }
plan-error-no-plan = このデータベースにプランはありません: kizuna plan init --db ファイル --track workaround --expires 日付 --stage pilot=パターン で開始してください。
plan-error-complete = プランは完了しています。進めるフェーズはありません。
plan-error-clock = 現在時刻が実施中のフェーズの開始({ $started })より前です: 時計または KIZUNA_NOW を確認してください。
plan-error-empty = { $what } を空にはできません。
plan-error-other = { $error }
plan-error-date = 日付「{ $date }」が不正です: YYYY-MM-DD で指定してください。
plan-error-db = { $path } にデータベースがありません: 先に証拠を取り込んでください(kizuna scan … --db ファイル)。

## report.html(kizuna scan --out DIR)。

report-title = kizuna レポート: セキュア チャネルとマシン SID
report-summary = 概要
report-checklist = 元記事のチェックリスト
report-charts = グラフ
report-findings = 検出結果
report-devices = 端末
report-devices-count = 端末({ $count } 台)
report-inputs = 入力
report-footer = kizuna { $version } が生成しました。このファイルは単体で完結しており、何も読み込まずオフラインで開けます。
report-span = イベントの期間: { $first } ～ { $last }(UTC の日付)。
report-none = なし
report-more = {" "}ほか { $count } 台
report-problem-a = 壊れ続けるセキュア チャネル(問題 A)
report-problem-b = 重複したマシン SID(問題 B)
report-problem-w = 回避策とそのロールバック
report-problem-l = 似ているが別の原因(問題 A でも B でもない)
report-a-now = 台が現在失敗中
report-a-later = 台が今後危険(ローテーション停止、または旧 DC が残る間の想定内の失敗)
report-b-now = 台が現在拒否されている(両端がチェックを実施、DC の SID、または LsaSrv 6167 を記録)
report-b-later = 台が相手の更新後に失敗する
report-w-devices = 台のレジストリに回避策が書かれている
report-w-gpos = 件の GPO が回避策を含む
report-l-now = 台が現在別の原因で失敗中(マシン ID の分離、Kerberos の RC4 廃止、NTLMv1 の遮断、復元された DC とそれに拒否されたメンバー)
report-l-later = 台が監査モードで警告されており、強制時に失敗する(RC4、NTLMv1)
report-state-ok = OK
report-state-action = 要対応
report-state-unknown = 未確認
report-check-sc = メンバーがセキュア チャネルを失敗なく確立している(DC の NETLOGON 5722/5805/5723、クライアントの 3210/5719)。
report-check-lookalikes = 問題 A に似た別の原因の障害を区別している: マシン ID の分離(KZ-MII-001)、Kerberos の RC4 廃止(KZ-KRB-001)、NTLMv1 の遮断(KZ-NTLM-001)、サポートされない方法で復元された DC(KZ-DC-002)。
report-check-scope = 「コンピューター アカウントのパスワード変更を拒否する」が DC だけに届いている(OU=Domain Controllers にリンクし、ProductType = 2 の WMI フィルター付き)。
report-check-disable = DisablePasswordChange はどこでも使われていない。
report-check-expiry = 回避策の GPO すべてに期限が記録され、期限を過ぎていない。
report-check-rollback = 期限後、回避策のレジストリ値を持つ端末が残っていない。
report-check-sid-now = マシン ID チェックを実施する端末どうしでマシン SID が重複していない。
report-check-sid-later = 更新が入ると失敗する重複マシン SID が残っていない。
report-check-accounts = コンピューター アカウントのパスワードがローテーションされ、使われていないアカウントが整理されている。
report-baseline = 回避策を適用している間に予想されるベースライン指摘
report-baseline-refuse = DC の RefusePasswordChange=1: PingCastle の A-DCRefuseComputerPwdChange(直ちに)、アカウントが古くなるにつれサーバーの S-PwdLastSet-45/-90 と DC の S-PwdLastSet-DC。
report-baseline-age = MaximumPasswordAge が 0 または 30 超: CIS / DISA STIG「マシン アカウントのパスワードの最長有効期間は 30 日以下、ただし 0 以外」。
report-baseline-disable = DisablePasswordChange=1: CIS / DISA STIG「マシン アカウントのパスワード変更を無効にしてはならない」。
report-baseline-none = 読み込んだ証拠に回避策の設定は見つかりませんでした。
report-chart-empty = 読み込んだ証拠にはこのグラフのデータがありません。
report-chart-events = DC ごとの監視対象イベント数(日別)
report-other-dcs = その他の DC { $count } 台
report-chart-failures = 端末ごと・日ごとのセキュア チャネル失敗イベント(失敗のある { $total } 台中 { $count } 台)
report-chart-sid = 重複 SID グループごとの端末数
report-chart-rotation = 有効なコンピューター アカウントのマシン パスワード経過日数
report-age-30 = 30 日以内
report-age-45 = 31～45 日
report-age-60 = 46～60 日
report-age-90 = 61～90 日
report-age-older = 90 日超
report-age-never = 未設定
report-filter = 絞り込み:
report-about = このルールが確認すること:
report-col-severity = 重大度
report-col-rule = ルール
report-col-title = 検出結果
report-col-count = 検出数 / 端末数
report-col-subjects = 対象:
report-col-time = 時刻(UTC)
report-col-evidence = 根拠
report-col-source = 出典
report-col-device = 端末
report-col-role = 役割
report-col-domain = ドメイン
report-col-build = ビルド
report-col-sidcheck = SID チェック
report-col-sid = マシン SID
report-col-worst = 最も重い検出
report-col-status = 状態
report-col-kind = 種類
report-col-path = パス
report-col-files = ファイル数
report-col-records = レコード
report-col-kept = 保持

## 各ルールが確認すること(report.html)。

KZ-SC-001-about = どちらの側から見たセキュア チャネル確立の失敗も対象です: DC の NETLOGON 5722/5805/5723、クライアントの NETLOGON 3210/5719、netlogon.log。重大度は NTSTATUS で決まります。パスワードの拒否は高、DC に到達できない場合は中、Server 2025 メンバーが 1 回出す想定内の 0xC00000E5 は低です。
KZ-SC-002-about = 修復後、または間隔を置いて同じ端末が再び失敗している: 修復が定着しない状態で、すべての DC が Windows Server 2025 になった後の問題 A の特徴です。
KZ-SC-003-about = DC に端末のアカウントがない(5723、0xC000018B): アカウントが削除またはリセットされています。リセットではなく再参加が必要です。
KZ-SC-004-about = 自分でパスワードを変更してから 1 日以上後に拒否された: VM スナップショットやバックアップからの復元の後のように、古いマシン パスワードに戻っています。
KZ-MII-001-about = Windows Server 2025 の機能レベル未満のドメインでマシン ID の分離を強制し、2026 年 9 月の更新以降に認証に失敗しているクライアント: 設定を戻し、再起動し、修復します。
KZ-KRB-001-about = Kerberos が端末の暗号化の種類を拒否した(KDC イベント 201～209、0xE の 4768/4769): 2026 年の RC4 廃止。信頼関係の破損に見えますが、必要なのはパスワードの再同期ではなく AES キーです。
KZ-SID-001-about = マシン SID が同じで、両方のビルドがマシン ID チェックを実施する(KB5065426 以降)メンバー: 相互の SMB、RDP、WinRM が現在失敗します。
KZ-SID-002-about = マシン SID が同じで、片方がまだチェックを実施していないメンバー: 両方が対象ビルドになると失敗します。
KZ-SID-003-about = ドメインの SID を持つメンバー(DC のイメージから作成): チェックを実施するすべてのメンバーから拒否されます。
KZ-SID-004-about = LsaSrv 6167 を記録: 端末のチェックが自分と同じマシン SID の相手を拒否しました。
KZ-POL-001-about = ワークステーションやメンバー サーバーの RefusePasswordChange=1: DC 専用の回避策がメンバーに届いています。
KZ-POL-002-about = DisablePasswordChange=1: 端末がマシン パスワードをまったく変更しません。ベースライン上の指摘で、元記事の回避策ではありません。
KZ-POL-003-about = MaximumPasswordAge が 0 または 999 超: 回避策のメンバー側で、Microsoft が文書化した範囲外です。
KZ-POL-004-about = 期限後も端末に残る回避策のレジストリ値。SYSTEM ハイブから読み、ハイブが書かれた時刻で日付を判断します。
KZ-DC-001-about = 確認できたすべての DC が Windows Server 2025: 問題 A が現れる条件です。
KZ-DC-002-about = USN ロールバックまたはサポートされない復元を記録した DC(ディレクトリ サービス 2095/2103): この DC に拒否されたメンバーは巻き戻しに見えますが、そうではありません。
KZ-NTLM-001-about = NTLMv1 由来のシングル サインオンの監査または遮断(NTLM Operational 4024/4025、KB5066470): 問題 A でも B でもない「アクセス拒否」。
KZ-AD-001-about = ログオンしているのにマシン パスワードが変わらなくなったコンピューター: ローテーションできないセキュア チャネルは次の不一致で壊れます。
KZ-AD-002-about = 自身のマシン パスワードが本来より古い DC。
KZ-AD-003-about = AES の Kerberos キーがない(RC4 または DES のみの)コンピューター アカウント。
KZ-AD-004-about = マシン パスワードの変更を拒否する GPO が OU=Domain Controllers 以外にリンクされているか、ProductType = 2 の WMI フィルターがない。
KZ-AD-005-about = 回避策を含む GPO: その設定、範囲、期限と、それによって出るベースライン指摘。
KZ-AD-006-about = ログオンもパスワード変更も長期間ない、有効なコンピューター アカウント。

## 週次レビュー(kizuna report)
review-title = kizuna 週次レビュー: { $since } ~ { $until }
review-baseline-window = 比較対象: 前の期間 { $since } ~ { $until }
review-baseline-scan = 比較対象: この保存先のスキャン #{ $id }({ $time })
review-baseline-scan-other = 比較対象: { $db } のスキャン #{ $id }({ $time })
review-counts = 検出: 新規 { $new } 件、継続 { $persisting } 件、解消 { $resolved } 件
review-changes = 変化
review-heading-new = 新規
review-heading-persisting = 継続
review-heading-resolved = 解消
review-change-new = 新規
review-change-persisting = 継続
review-change-resolved = 解消
review-none = なし。
review-resolved-note = 「解消」はこの期間の証拠に見当たらないという意味です。チケットを閉じる前に、すべての DC のこの期間のログを収集したか確認してください。
review-joined = 追加: { $names }
review-left = 除外: { $names }
review-severity-was = 以前は { $severity }
review-events = 監視イベント(前の期間 → この期間)
review-per-day = 日ごとの推移(前の期間 | この期間)
review-per-day-failures = 失敗
review-per-day-events = イベント
review-devices = 確認する端末
review-col-change = 変化
review-col-moved = 変更点
review-col-before = 前
review-col-now = 今
review-col-last-failure = 最後の失敗
review-col-provider = プロバイダー

## コマンドラインの通知(標準エラー)
cli-scan-recorded = { $db } にスキャン #{ $id } として記録しました(kizuna report --db { $db } --compare-to { $id })
progress-reading = kizuna: 読み込み中 { $done }/{ $total } ファイル、{ $mb_done }/{ $mb_total } MB、{ $records } レコード(毎秒 { $rate } レコード)
progress-sid = kizuna: 問い合わせ中 { $done }/{ $total } 台:応答 { $answered } 台、応答なし { $failed } 台(毎秒 { $rate } 台)
cli-scan-not-recorded = スキャンを { $db } に記録できませんでした(kizuna report の比較には使えません): { $error }
cli-error = エラー: { $error }
cli-nothing-readable = 指定されたパスに読み取れるものがありません
cli-sid-directory = { $server }: 問い合わせる有効なコンピューター { $computers } 台(無効 { $disabled } 台は対象外)
cli-sid-no-targets = 問い合わせるホストがありません: ホスト名・アドレス・範囲、--hosts-file FILE、または --server ldap://DC を指定してください
cli-sid-no-answer = 問い合わせた { $total } 台のいずれからも応答がありません(理由は上記)
cli-report-written = { $path } を書き出しました({ $files })
cli-ad-needs-server = ad audit には --server ldap[s]://ホスト[:ポート] が必要です
cli-plan-not-used = 保存先の計画は KZ-POL-004 に使いません: { $error }
cli-demo-lab = デモ: ラボ ドメイン { $domain }(端末 { $devices } 台、{ $days } 日間、{ $files } ファイル)を { $evidence } に書き出しました。正しいスキャンの結果: { $truth }。ラボの最終日時点で、回避策の期限 --expires { $expires } でスキャンします
cli-review-window = --since は --until より前にしてください
cli-review-no-store = { $path }: kizuna の保存先がありません(先に `kizuna scan パス... --db ファイル` を実行してください)
cli-review-no-scan = --compare-to { $what }: { $db } にスキャン #{ $id } はありません。記録済みのスキャン: { $scans }
cli-review-no-scans = --compare-to { $what }: { $db } に記録済みのスキャンがありません
cli-review-none = なし
cli-gpo-unchecked = 注意: 証跡を確認していません。--db STORE(kizuna scan のストア)を指定すると、障害が問題 A であり、回避策で直らない似た別の原因ではないことを先に確認します。
cli-gpo-lookalikes-refused = 書き出しませんでした: 証跡に問題 A の障害がなく、{ $count } 台が回避策では直らない原因で失敗しています: { $devices }。それらの検出結果(kizuna report --db …)を見て原因を直してください。--despite-lookalikes を付けるとそれでも書き出します。
cli-gpo-lookalikes-despite = 警告: 証跡に問題 A の障害がありません。{ $count } 台が別の原因で失敗しています: { $devices }。--despite-lookalikes のため書き出しました。
cli-gpo-lookalikes-beside = 警告: 問題 A のほかに、{ $count } 台が回避策では直らない原因で失敗しています: { $devices }。これらはパイロット OU に入れず、原因を直してください。
cli-gpo-no-failures = 注意: --db の証跡には失敗しているセキュア チャネルがありません。回避策を適用する前に、すべての DC のログをスキャンしたか確認してください。
cli-gpo-zero-age = 注意: MaximumPasswordAge=0 は記事のとおりローテーションを止めますが、0 は文書化された範囲 1~999 の外です。CIS 2.3.6.5 と STIG が指摘します。--member-max-age 999 なら範囲内です。DisablePasswordChange は使いません。
cli-gpo-workaround = DC 用 GPO「{ $dc_gpo }」→ { $dc_link }(WMI フィルター ProductType = 2)、メンバー用 GPO「{ $member_gpo }」→ { $member_link }、期限 { $expires }
cli-gpo-rollback = RefusePasswordChange=0、MaximumPasswordAge=30 に戻します。コンピューターのバージョン { $version }
cli-files-in = { $path } に { $count } ファイル:
cli-scripts-written = スクリプト { $kit }: { $count } ファイルを { $path } に書き出しました(そこの README.md を参照)
cli-lab-generated = ラボ: { $scenario } シード { $seed }({ $domain }): 端末 { $devices } 台、{ $start } から { $days } 日間。{ $files } ファイル、{ $mb } MB、イベント { $events } 件、想定される検出 { $findings } 件(ディレクトリから +{ $directory }、--expires { $expires } で +{ $expiry })。{ $seconds } 秒
cli-lab-paths = 証拠: { $evidence }   ディレクトリ: { $directory }   正解: { $truth }
serve-listening = { $url } で待ち受けています(保存先: { $db })。Ctrl-C で停止します
serve-no-db = kizuna serve には --db ファイル または --db postgres://… が必要です
serve-token-made = トークン { $id }({ $name }、スコープ { $scope })を作成しました。秘密の値は標準出力に一度だけ表示します
serve-token-revoked = トークン { $id } を失効させました
serve-token-not-found = 有効なトークン { $id } はありません
serve-tokens-none = トークンはまだありません: kizuna serve token create --db … --name 名前 --scope admin
web-title = kizuna: セキュア チャネルとマシン SID
web-login = サインイン
web-name = アカウント
web-password = パスワード
web-sign-in = サインイン
web-sign-out = サインアウト
web-login-failed = アカウントまたはパスワードが違います。
web-login-expired = サインイン画面の有効期限が切れました。もう一度お試しください。
web-signed-in-as = { $name }({ $role })
web-overview = 概要
web-devices = 端末
web-filter = 絞り込み
web-search = 名前、ドメインまたは SID
web-any-role = すべての役割
web-any-severity = すべての重大度
web-shown = { $total } 台中 { $from }–{ $to } 台目
web-prev = 前へ
web-next = 次へ
web-no-devices = 該当する端末はありません。
web-findings = 検出事項({ $count } 件)
web-no-findings = 検出事項はありません。
web-events = この端末のイベント(新しい順に { $count } 件)
web-no-events = この端末のイベントはありません。
web-uploads = 最近のアップロード
web-no-uploads = まだ何もアップロードされていません。
web-plan = 計画
web-plan-none = 計画はまだありません(kizuna plan init)。
web-plan-phase = 計画 { $id }({ $track }): フェーズ { $phase }、回避策の期限まで { $days } 日
web-counts = 端末 { $devices } 台、検出事項 { $findings } 件、入力 { $inputs } 件
web-by-severity = 重大度別の検出事項
web-sid-groups = 重複 SID の検出事項
web-failing = 現在失敗している端末(KZ-SC-001)
web-not-found = 端末 { $name } はありません。
web-sources = 証拠
serve-account-made = アカウント { $name }({ $role })を作成しました
web-sid = 重複 SID
web-sid-title = マシン SID を共有している端末
web-sid-none = マシン SID を共有している端末はありません。
web-sid-shared = 共有している SID { $sid }
web-reports = レポート
web-reports-about = アップロードはそれぞれ、届いた証拠のスキャンとして記録されます。スキャンのファイルは、その時点の検出結果を kizuna scan --out と同じ形式で示します。
web-reports-current = すべての証拠(現時点の判定)
web-reports-none = 記録されたスキャンはまだありません。
web-reports-shown = { $total } 件中 { $from }–{ $to } 件目
web-col-scan = スキャン
web-col-by = 実行者
web-col-files = ダウンロード
web-by-cli = コマンドライン
web-files-not-kept = 入力が記録されていません
web-trend = 日ごとの推移({ $until } までの { $days } 日間)
web-trend-failures = セキュア チャネルの失敗
web-trend-events = 監視対象のイベント
web-findings-col = 検出事項
web-inputs-col = 入力
web-reports-scans = 記録されたスキャン
web-upload = アップロード
web-upload-about = 端末から集めたファイルまたは zip バンドル(イベント ログ、netlogon.log、レジストリ ハイブ、インベントリ)。kizuna scan と同じ方法で読み込み、スキャンとして記録します。
web-upload-files = ファイル
web-upload-send = アップロード
web-upload-done = 入力 { $inputs } 件({ $records } レコード)を読み込み、スキャン #{ $id } として記録しました。
web-upload-nothing = このアップロードには読み込めるものがありませんでした。
web-col-kind = 種類
web-col-records = レコード
web-col-errors = エラー
web-forbidden-title = 許可されていません
web-forbidden = あなたの役割({ $role })ではこの操作はできません。
web-plan-note-title = メモを記録
web-plan-note = メモ
web-plan-tickets = 前回のメモ以降のヘルプデスク チケット数
web-plan-note-send = 記録
web-admin = 管理
web-tokens = API トークン
web-token-name = 名前
web-token-scope = スコープ
web-token-create = トークンを作成
web-token-made = トークン { $id }({ $name }、スコープ { $scope })を作成しました。シークレットは今回しか表示されないので、今すぐコピーしてください。
web-token-revoke = 失効
web-accounts = アカウント
web-role = 役割
web-account-create = アカウントを作成
web-audit = 監査ログ(新しい順に { $count } 件)
web-col-created = 作成日時
web-col-last-used = 最終使用
web-col-revoked = 失効日時
web-col-disabled = 無効化
web-col-action = 操作
web-col-detail = 詳細
web-col-remote = 接続元
web-login-throttled = この接続元またはこのアカウントでのサインイン失敗が多すぎます。15 分待ってからもう一度お試しください。
web-review = 定期レビュー
web-review-about = kizuna report と同じ内容です。期間内の検出事項を直前の同じ長さの期間と比べ(新規・継続・解消)、日ごとの失敗とイベント、端末を示します。
web-review-days = 直近 { $days } 日:
web-timeline = タイムライン: 日ごとの失敗とイベント
