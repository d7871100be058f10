// The agency's token, read the same way by agency-cli and agency-gui: from a file (never the
// command line, which `ps` shows), with one trailing line ending removed and nothing else
// changed, so that what is sent is exactly what the operator wrote.
#pragma once

#include <QString>

namespace lottery::agency {

struct TokenResult {
    bool ok = false;
    QString token; // when ok; never logged
    QString errorString; // when not ok: names the file and the rule broken (English, for logs)
    QString userErrorString; // the same in the person's language (the installed translator)
};

// Refuses a token that is empty, longer than protocol::kMaxTextBytes (1024) bytes of UTF-8,
// not valid UTF-8, holding a non-printable character (controls, a second line, U+2028...) or
// leading/trailing white space. `origin` names where it came from in the message; `userOrigin`
// is the same in the person's language (`origin` when null).
TokenResult checkToken(
    const QByteArray &bytes, const QString &origin, const QString &userOrigin = QString());

// Reads `path` and checks it as above, after removing one trailing "\n" or "\r\n".
TokenResult readTokenFile(const QString &path);

} // namespace lottery::agency
