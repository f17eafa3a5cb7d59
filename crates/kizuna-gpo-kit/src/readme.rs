//! The kits' READMEs for the change record, in English and Japanese: what, why, risks,
//! expiry, how to roll back. Whole texts per language (no sentences assembled from parts).

use crate::model::{DEFAULT_MAX_AGE, Rollback, WorkaroundView};

use kizuna_core::Lang;

fn age_note(age: u32, lang: Lang) -> &'static str {
    match (age, lang) {
        (0, Lang::En) => {
            "0 pauses rotation entirely, as the source article does. 0 is outside the documented range (1–999): CIS 2.3.6.5 (\"30 or fewer days, but not 0\") and the STIG will flag it. Prefer 999 (`--member-max-age 999`) where a baseline audit matters; DisablePasswordChange is never used by kizuna."
        }
        (0, Lang::Ja) => {
            "0 は元記事どおりローテーションを完全に止めます。0 は文書化された範囲 (1–999) の外で、CIS 2.3.6.5（「30 日以下、ただし 0 以外」）と STIG で指摘されます。ベースライン監査が重要な環境では 999（`--member-max-age 999`）を推奨します。kizuna は DisablePasswordChange を使いません。"
        }
        (_, Lang::En) => {
            "A long age postpones rotation within the documented range (1–999); CIS 2.3.6.5 and the STIG still expect 30 days or fewer, so expect baseline findings until the rollback."
        }
        (_, Lang::Ja) => {
            "長い期間は文書化された範囲 (1–999) 内でローテーションを先送りします。CIS 2.3.6.5 と STIG は 30 日以下を求めるため、ロールバックまではベースライン上の指摘が出ます。"
        }
    }
}

pub fn workaround(v: &WorkaroundView, lang: Lang) -> String {
    let (d, dc_ou, pilot, exp, age) = (
        v.domain.as_str(),
        v.dc_ou.dn(),
        v.pilot_ou.dn(),
        v.expires,
        v.member_max_age,
    );
    let (dc_name, member_name, filter) = (
        &v.dc_gpo.display_name,
        &v.member_gpo.display_name,
        &v.filter.name,
    );
    let note = age_note(age, lang);
    let text = match lang {
        Lang::En => format!(
"# kizuna workaround kit — {d}

## What
- GPO \"{dc_name}\": Domain controller: Refuse machine account password changes = Enabled
  (`RefusePasswordChange=4,1`). WMI filter \"{filter}\" (`ProductType = \"2\"`). Linked to
  `{dc_ou}` only.
- GPO \"{member_name}\": Domain member: Maximum machine account password age = {age}
  (`MaximumPasswordAge=4,{age}`). Linked to the pilot OU `{pilot}` only.
- Expires **{exp}**: the import script refuses to run after that date.

## Why
With every domain controller on Windows Server 2025, machine account password rotation of
some members fails and their secure channel breaks (\"the trust relationship between this
workstation and the primary domain failed\"). Stopping rotation on both sides stops new
breakages until the fix is installed; repairs then stick.

## Risks
- Machine passwords stop changing while this is in place: a longer window for a stolen
  machine secret. Keep the scope small and the period short.
- {note}
- PingCastle reports A-DCRefuseComputerPwdChange and, as weeks pass, S-PwdLastSet-45/-90;
  `kizuna ad audit` reports KZ-AD-005 for each GPO while it is present.
- The Refuse GPO must never reach members: this kit links it to the Domain Controllers OU
  only and filters it to DCs; `kizuna ad audit` reports KZ-AD-004 if anyone links it elsewhere.

## How to apply
1. `powershell -File Import-KizunaWorkaround.ps1 -WhatIf` and read the summary.
2. `powershell -File Import-KizunaWorkaround.ps1` (GroupPolicy and ActiveDirectory modules).
3. `gpupdate /force` on a DC and on a pilot computer; `kizuna ad audit` shows KZ-AD-005 for both
   GPOs and no KZ-AD-004.
4. `kizuna plan init --db kizuna.db --track workaround --expires {exp} --stage pilot=NAMES*` and widen the member GPO's links
   stage by stage as `kizuna plan status` allows.

Files: the GPMC backups (one folder per backup id, `manifest.xml`), `WMI/*.mof` (the filter
as GPMC exports it; `mofcomp -N:root\\Policy` imports it), `kit.json` (what the kit contains).

## How to roll back
`kizuna gpo rollback --domain {d} --out DIR`, then `Remove-KizunaWorkaround.ps1 -Stage Restore`
(writes the defaults explicitly: security options stay on computers after a GPO goes), monitor
at least two rotation cycles (60 days), `-Stage DisableLinks`, then `-Stage Delete`.
"),
        Lang::Ja => format!(
"# kizuna 回避策キット — {d}

## 内容
- GPO「{dc_name}」: ドメイン コントローラー: コンピューター アカウントのパスワード変更を拒否する = 有効
  (`RefusePasswordChange=4,1`)。WMI フィルター「{filter}」(`ProductType = \"2\"`)。
  リンク先は `{dc_ou}` のみ。
- GPO「{member_name}」: ドメイン メンバー: コンピューター アカウント パスワードの最長有効期間 = {age}
  (`MaximumPasswordAge=4,{age}`)。リンク先はパイロット OU `{pilot}` のみ。
- 有効期限 **{exp}**: この日を過ぎるとインポート スクリプトは実行を拒否します。

## 理由
すべてのドメイン コントローラーが Windows Server 2025 になると、一部のメンバーでコンピューター
アカウントのパスワード更新が失敗し、セキュア チャネルが壊れます（「このワークステーションと
プライマリ ドメインとの信頼関係に失敗しました」）。両側で更新を止めると、修正プログラムを
適用するまで新たな破損が止まり、修復が定着します。

## リスク
- 適用中はコンピューターのパスワードが変わりません。盗まれたマシン シークレットが使える期間が
  延びます。範囲は小さく、期間は短くしてください。
- {note}
- PingCastle は A-DCRefuseComputerPwdChange を、週が進むと S-PwdLastSet-45/-90 を報告します。
  GPO がある間、`kizuna ad audit` は各 GPO について KZ-AD-005 を報告します。
- 拒否 GPO がメンバーに届いてはいけません。このキットは Domain Controllers OU にのみリンクし、
  DC だけに WMI フィルターで絞ります。他の場所にリンクされると `kizuna ad audit` が KZ-AD-004 を報告します。

## 適用手順
1. `powershell -File Import-KizunaWorkaround.ps1 -WhatIf` を実行し、要約を確認します。
2. `powershell -File Import-KizunaWorkaround.ps1`（GroupPolicy と ActiveDirectory モジュールが必要）。
3. DC とパイロット端末で `gpupdate /force`。`kizuna ad audit` で両 GPO の KZ-AD-005 が出て、
   KZ-AD-004 が出ないことを確認します。
4. `kizuna plan init --db kizuna.db --track workaround --expires {exp} --stage pilot=NAMES*` を実行し、`kizuna plan status` が
   許可するごとにメンバー GPO のリンクを段階的に広げます。

ファイル: GPMC バックアップ（バックアップ ID ごとのフォルダーと `manifest.xml`）、`WMI/*.mof`
（GPMC のエクスポート形式。`mofcomp -N:root\\Policy` でインポート）、`kit.json`（キットの内容）。

## ロールバック
`kizuna gpo rollback --domain {d} --out DIR` の後、`Remove-KizunaWorkaround.ps1 -Stage Restore`
（既定値を明示的に書き込みます。セキュリティ オプションは GPO が消えても端末に残るため）、
2 回以上のローテーション周期（60 日）を監視し、`-Stage DisableLinks`、最後に `-Stage Delete`。
"),
    };
    text.replace('\n', "\r\n")
}

pub fn rollback(r: &Rollback, lang: Lang) -> String {
    let d = r.domain.as_str();
    let v = r.dc_gpo.version.machine;
    let text = match lang {
        Lang::En => format!(
            "# kizuna rollback kit — {d}

## What
The workaround's two GPOs with the defaults written explicitly, computer version {v}:
- DC GPO: RefusePasswordChange = 0 (`RefusePasswordChange=4,0`).
- Member GPO: MaximumPasswordAge = {DEFAULT_MAX_AGE} (`MaximumPasswordAge=4,{DEFAULT_MAX_AGE}`).
Version numbers only go up (MS-GPOL): a rollback is a new version, never the old one.

## Stages (`Remove-KizunaWorkaround.ps1`)
1. `-Stage Restore` imports these settings into the live workaround GPOs (found by name).
   Security options stay written on computers after a GPO goes away, so the defaults are
   written first.
2. Monitor at least two rotation cycles (60 days): `kizuna plan status` shows whether the
   gate passes (rotations observed, no new failures).
3. `-Stage DisableLinks`, then after another check `-Stage Delete` (GPOs and the WMI filter).
Run every stage with `-WhatIf` first.

## Risks
Rotations resume all at once (a wave of overdue changes); if a DC still lacks the fix,
secure channels break again. Roll back only after the fix is installed on every DC.
"
        ),
        Lang::Ja => format!(
            "# kizuna ロールバック キット — {d}

## 内容
回避策の 2 つの GPO に既定値を明示的に書き込んだもの（コンピューター側バージョン {v}）:
- DC GPO: RefusePasswordChange = 0（`RefusePasswordChange=4,0`）。
- メンバー GPO: MaximumPasswordAge = {DEFAULT_MAX_AGE}（`MaximumPasswordAge=4,{DEFAULT_MAX_AGE}`）。
バージョン番号は増える一方です（MS-GPOL）。ロールバックは古い番号ではなく新しいバージョンです。

## 段階（`Remove-KizunaWorkaround.ps1`）
1. `-Stage Restore` で稼働中の回避策 GPO（名前で特定）にこの設定をインポートします。
   セキュリティ オプションは GPO が消えても端末に残るため、先に既定値を書き込みます。
2. 2 回以上のローテーション周期（60 日）を監視します。`kizuna plan status` がゲートの
   合否（更新の確認、新たな失敗なし）を示します。
3. `-Stage DisableLinks`、再確認の後に `-Stage Delete`（GPO と WMI フィルター）。
各段階は必ず先に `-WhatIf` で実行してください。

## リスク
更新が一斉に再開します（期限切れ分の集中）。修正プログラムが未適用の DC があると、
セキュア チャネルが再び壊れます。すべての DC に修正を適用してからロールバックしてください。
"
        ),
    };
    text.replace('\n', "\r\n")
}
