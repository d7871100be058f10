// An agency's receipt (protocol version 2): how many of its bets the server stores and their
// running digest (common/bet_digest.h), as the last RECEIPT or WELCOME said and the agency
// checked against its own file. agency-cli and agency-gui write it to a file; lottery-audit
// checks it against the store. The file form is docs/AUDIT.md's:
//
//     lottery-receipt 1
//     agency 1
//     sequence 15
//     stored_bets 1000
//     sha256 <64 lower-case hex digits>
//
// one `key value` per line, LF or CRLF, in any order; lines starting with '#' are comments.
#pragma once

#include "lottery/protocol/messages.h"

#include <QString>

#include <optional>

namespace lottery {

struct AgencyReceipt {
    quint32 agency = 0;
    quint64 sequence = 0; // the last batch acknowledged (0: none on this run; from WELCOME)
    quint64 storedBets = 0;
    protocol::Digest digest {};

    bool isValid() const { return agency != 0; }
    bool operator==(const AgencyReceipt &o) const
    {
        return agency == o.agency && sequence == o.sequence && storedBets == o.storedBets
            && digest == o.digest;
    }

    QByteArray toText() const;
    // nullopt with *error (English, names the line) when `text` is not a receipt.
    static std::optional<AgencyReceipt> parse(const QByteArray &text, QString *error);

    // Written to a temporary file beside `path`, synced, then renamed: never half a receipt.
    bool writeFile(const QString &path, QString *error) const;
    static std::optional<AgencyReceipt> readFile(const QString &path, QString *error);
};

} // namespace lottery
