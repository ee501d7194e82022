"""One or two real command lines for each command, shown at the end of its help.

They are command lines, not prose: never translated (the heading above them is). Ids are the
shapes a person types: a request, alert or notification by the first 8 characters of its
UUID (any unique prefix is taken), authorities and users as in the README (HU-MEK,
hu.kovacs). tests/cli/test_help.py parses every line against the command tree, so a renamed
command or option, or a missing required one, fails there and not in a user's terminal.
"""

from __future__ import annotations

__all__ = ["EXAMPLES", "examples_of", "wrapped"]

REQUEST, ALERT, NOTIFICATION = "0194c2d1", "0194d0a3", "0194e5b2"

# command path below `imi` -> its example lines, each a whole `imi ...` command
EXAMPLES: dict[str, tuple[str, ...]] = {
    "init": ("imi init",
             "imi --store hu-user.db init --hub http://127.0.0.1:8765 --invite-file hu-kovacs-code.txt"),
    "unlock": ("imi unlock", "imi unlock --ttl 3600"),
    "lock": ("imi lock",),
    "demo": ("imi demo", "imi --lang hu demo --dir imi-demo"),
    "sync": ("imi sync", "imi sync --watch"),
    "outbox": ("imi outbox", "imi outbox --state rejected"),
    "inbox": ("imi inbox", "imi inbox --lang hu"),
    "stats": ("imi stats", "imi stats --json"),
    # store
    "store status": ("imi store status",),
    "store verify": ("imi store verify", "imi --store hu-user.db store verify"),
    "store rebuild": ("imi store rebuild",),
    # privacy
    "privacy status": ("imi privacy status", "imi privacy status --all"),
    "privacy run": ("imi privacy run",),
    "privacy log": ("imi privacy log --since 2027-01-01",
                    'imi privacy log --person "Nagy Béla" --born 1980-05-17'),
    "privacy subject": ('imi privacy subject --name "nagy bela" -o nagy-bela.md',),
    "privacy read": (f'imi privacy read request/{REQUEST} --reason "Complaint of the data subject"',),
    "privacy rectify": (f'imi privacy rectify request/{REQUEST} --field applicant_name="Nagy Béla" '
                        '--reason "Request of the data subject"',),
    "privacy erase": (f'imi privacy erase request/{REQUEST} --consent "Written consent of 2027-03-02"',),
    # hub
    "hub init": ("imi --store hub.db hub init",
                 "imi hub init --database postgresql://imi@db.example/imi --key-file hub.key"),
    "hub serve": ("imi --store hub.db hub serve --port 8765",
                  "imi hub serve --database postgresql://imi@db.example/imi --key-file hub.key --workers 4"),
    "hub migrate": ("imi --store hub.db hub migrate --to postgresql://imi@db.example/imi --key-file hub.key",),
    "hub invite": ('imi --store hub.db hub invite --authority HU-NCO --country HU '
                   '--name "hu=IMI Nemzeti Koordinátor" --languages hu,en '
                   '--email imi@example.hu --user hu.coord --user-name "Szabó Éva" '
                   '--user-email eva@example.hu --invites hu-code.txt',),
    "hub reinvite": ("imi --store hub.db hub reinvite hu.coord --invites hu-code.txt",),
    "hub prune": ("imi --store hub.db hub prune --older-than 1095",),
    "hub revoke": ("imi --store hub.db hub revoke hu.kovacs",),
    # message
    "message send": ('imi message send --to HU-MEK --subject "Architect\'s diploma" '
                     '"Is the diploma of Nagy Béla genuine?"',),
    "message list": ("imi message list",),
    # request
    "request new": ('imi request new --to HU-MEK --questionnaire pq-verify-qualification '
                    '--deadline 2027-01-31 --subject "Architect\'s qualification" '
                    '--person applicant_name="Nagy Béla" --person profession=architect',
                    'imi request new --to HU-MEK --questionnaire pq-verify-qualification '
                    '--questions document_authentic,access_to_profession --deadline 2027-01-31 '
                    '--subject "Diploma check" --attach diploma.pdf'),
    "request approve": (f"imi request approve {REQUEST}",),
    "request send": (f"imi request send {REQUEST}",),
    "request accept": (f"imi request accept {REQUEST}",
                       f"imi request accept {REQUEST} --propose-deadline 2027-02-28"),
    "request agree-deadline": (f"imi request agree-deadline {REQUEST}",
                               f"imi request agree-deadline {REQUEST} --refuse"),
    "request forward": (f"imi request forward {REQUEST} --to HU-NCO",),
    "request reassign": (f"imi request reassign {REQUEST} --to HU-MEK",),
    "request allocate": (f"imi request allocate {REQUEST} --to hu.kovacs",),
    "request answer": (f"imi request answer {REQUEST} --answer document_authentic=authentic "
                       "--answer access_to_profession=yes",
                       f"imi request answer {REQUEST} --answers-file answers.yaml --attach diploma.pdf"),
    "request more": (f'imi request more {REQUEST} "Please send the diploma supplement too."',),
    "request close": (f"imi request close {REQUEST} --timeliness 5 --quality 4",),
    "request withdraw": (f'imi request withdraw {REQUEST} --reason "Asked the wrong authority"',),
    "request reopen": (f'imi request reopen {REQUEST} --reason "The applicant appealed"',),
    "request list": ("imi request list --direction incoming --state sent", "imi request list --overdue"),
    "request show": (f"imi request show {REQUEST}", f"imi request show {REQUEST} --lang hu"),
    "request export": (f"imi request export {REQUEST} --format md",),
    "request attachment list": (f"imi request attachment list {REQUEST}",),
    "request attachment save": (f"imi request attachment save {REQUEST} diploma.pdf",
                                f"imi request attachment save {REQUEST} 2 -o case/ --force"),
    # notification
    "notification new": ("imi notification new --kind services-notification --lang it "
                         "--answers-file notifica.yaml",),
    "notification broadcast": (f"imi notification broadcast {NOTIFICATION}",),
    "notification disseminate": (f"imi notification disseminate {NOTIFICATION} --to AT-BMAW",),
    "notification comment": (f'imi notification comment {NOTIFICATION} --lang de '
                             '"Österreich hat eine ähnliche Regelung geprüft."',),
    "notification modify": (f"imi notification modify {NOTIFICATION} --answer entry_into_force=2027-09-01",),
    "notification withdraw": (f'imi notification withdraw {NOTIFICATION} --reason "Notified in error"',),
    "notification close": (f'imi notification close {NOTIFICATION} --decision no_objection '
                           '--text "The cap is limited to the provinces concerned."',),
    "notification list": ("imi notification list --state broadcast",),
    "notification search": ("imi notification search --country IT --area services --text guide",),
    "notification show": (f"imi notification show {NOTIFICATION} --lang de",),
    "notification export": ("imi notification export -o notifications.json",),
    "notification stats": ("imi notification stats",),
    # cit
    "cit issue": ('imi cit issue --number NL-CIT-0417 --company "Geldtransport Zuid B.V." '
                  '--registration "KVK 90417000" --address "Stationsplein 1, Eindhoven" '
                  '--valid-from 2027-01-04 --condition national_licence --condition good_repute '
                  '--condition insurance --condition staff_vehicles_procedures',),
    "cit change": ('imi cit change NL-CIT-0417 --address "Markt 5, Eindhoven" --reason "The company moved"',),
    "cit notify-host": ('imi cit notify-host NL-CIT-0417 --host BE --notice-date 2027-01-04 '
                        '--start 2027-03-04 --transport "euro banknotes by road" --staff "Piet de Vries"',),
    "cit suspend": ('imi cit suspend NL-CIT-0417 --from 2027-04-12 --to 2027-05-11 '
                    '--reason "Insurance expired"',),
    "cit resume": ("imi cit resume NL-CIT-0417 --on 2027-04-30",),
    "cit withdraw": ('imi cit withdraw NL-CIT-0417 --reason "Conditions no longer met"',),
    "cit ban": ('imi cit ban NL-CIT-0417 --until 2030-01-01 --reason "Repeated breaches"',),
    "cit sanction": ('imi cit sanction NL-CIT-0417 --kind fine --amount 5000 --reason "Late prior notice"',),
    "cit check": ('imi cit check --company "geldtransport zuid" --on 2027-03-15 --in BE',
                  "imi cit check --number NL-CIT-0417"),
    "cit list": ("imi cit list --country NL",),
    "cit show": ("imi cit show NL-CIT-0417",),
    "cit history": ("imi cit history NL-CIT-0417",),
    "cit import": ("imi cit import licences.csv --dry-run", "imi cit import licences.csv"),
    "cit export": ("imi cit export --format csv -o nl-licences.csv",),
    # registers
    "registers add": ('imi registers add --id HU-REG-ARCH --country HU --name "hu=Építészek névjegyzéke" '
                      '--name "en=Register of architects" --holder HU-MEK --area professional-qualifications '
                      '--covers architect --access online --languages hu',),
    "registers import": ("imi registers import registers.csv",),
    "registers search": ("imi registers search architect --country HU", "imi registers search ápoló --lang fi"),
    "registers show": ("imi registers show HU-REG-ARCH",),
    "registers export": ("imi registers export --country HU -o hu-registers.json",),
    # alert
    "alert new": ("imi alert new --kind pq-restriction --profession nurse --answers-file alert.yaml",
                  "imi alert new --kind services --countries HU,AT --answers-file clinic.yaml"),
    "alert send": (f"imi alert send {ALERT}",
                   f'imi alert send {ALERT} --late-reason "The decision reached us on 2027-03-10"'),
    "alert forward": (f"imi alert forward {ALERT} --to HU-MESZK",),
    "alert acknowledge": (f"imi alert acknowledge {ALERT}",),
    "alert modify": (f"imi alert modify {ALERT} --under-appeal",
                     f"imi alert modify {ALERT} --answer period_end=2027-06-30"),
    "alert withdraw": (f'imi alert withdraw {ALERT} --reason "Sent in error"',),
    "alert close": (f"imi alert close {ALERT} --ended-on 2027-06-30",),
    "alert list": ("imi alert list --direction in --state sent",),
    "alert show": (f"imi alert show {ALERT} --lang hu",),
    "alert export": ("imi alert export --format csv -o alerts.csv",),
    "alert stats": ("imi alert stats",),
    # authority
    "authority import": ("imi authority import examples/authorities.csv",
                         "imi authority import authorities.csv --prune --dry-run"),
    "authority register": ('imi authority register --id HU-MEK --country HU --name "hu=Magyar Építész Kamara" '
                           '--languages hu,en --areas professional-qualifications --email info@example.hu '
                           '--coordinator HU-NCO',),
    "authority update": ('imi authority update HU-MEK --name "en=Hungarian Chamber of Architects" '
                         '--phone "+36 1 555 0100"',
                         'imi authority update HU-MEK --website ""'),
    "authority deactivate": ("imi authority deactivate HU-MEK",),
    "authority reactivate": ("imi authority reactivate HU-MEK",),
    "authority show": ("imi authority show HU-MEK", "imi authority show HU-MEK --lang de"),
    "authority search": ("imi authority search epitesz", "imi authority search architect --country HU --lang hu"),
    "authority export": ("imi authority export --format csv -o directory.csv",),
    # user
    "user import": ("imi user import examples/users.csv --invites codes.txt",
                    "imi user import users.csv --prune --dry-run"),
    "user add": ('imi user add --id hu.kovacs --name "Kovács Anna" --email anna@example.hu --authority HU-MEK '
                 '--roles administrator,request_handler',),
    "user update": ("imi user update hu.kovacs --add-role allocator --remove-role request_handler",),
    "user deactivate": ("imi user deactivate hu.kovacs",),
    "user list": ("imi user list", "imi user list --authority HU-MEK"),
    "user show": ("imi user show hu.kovacs",),
    "user remove": ("imi --store hu.db user remove hu.kovacs",),
    "user invite": ("imi user invite hu.kovacs --invites hu-kovacs-code.txt",),
    # reference data
    "area list": ("imi area list", "imi area list --lang hu"),
    "country list": ("imi country list --lang de",),
    # questionnaire
    "questionnaire validate": ("imi questionnaire validate questionnaires/ --strict",
                               "imi questionnaire validate --format sarif --against origin/main"),
    "questionnaire list": ("imi questionnaire list", "imi questionnaire list --area services"),
    "questionnaire show": ("imi questionnaire show pq-verify-qualification --language hu",),
    "questionnaire coverage": ("imi questionnaire coverage",),
    "questionnaire export-po": ("imi questionnaire export-po pq-alert --to ga -o ga.po",),
    "questionnaire import-po": ("imi questionnaire import-po ga.po",),
}


def examples_of(path: str) -> tuple[str, ...]:
    """The example lines of the command at ``path`` (``request show``); none for a group."""
    return EXAMPLES.get(path, ())


def wrapped(line: str, width: int) -> list[str]:
    """``line`` as shell lines of at most ``width`` characters where it can: broken before an
    option (outside quotes), each continued with `` \\`` and the next indented 4 spaces."""
    pieces = _at_options(line)
    out = [pieces[0]]
    for piece in pieces[1:]:
        if len(out[-1]) + 1 + len(piece) + 2 <= width:  # 2: room for the " \\" of a break
            out[-1] += " " + piece
        else:
            out[-1] += " \\"
            out.append("    " + piece)
    return out


def _at_options(line: str) -> list[str]:
    """``line`` split at each space before ``-`` that is not inside quotes."""
    pieces, start, quote = [], 0, ""
    for i, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == " " and line.startswith(" -", i) and i > start:
            pieces.append(line[start:i])
            start = i + 1
    pieces.append(line[start:])
    return pieces
