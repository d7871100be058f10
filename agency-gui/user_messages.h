// What the window tells a person when something goes wrong, in their language: one place mapping
// each way an upload can fail (agency::UploadError's kind) and each error code the server can
// send to a title and a sentence, and each bet rule an invalid row breaks to its reason. Never
// derived from an error's text: the technical detail (English, from deep inside the library)
// goes to the log pane only.
#pragma once

#include "lottery/agency/upload_error.h"
#include "lottery/protocol/errors.h"

#include <QCoreApplication>
#include <QString>

namespace lottery::gui {

struct UserMessage {
    QString title; // short: "Server unreachable"
    QString explanation; // what happened and what to do, in the person's terms
};

class UserMessages
{
    Q_DECLARE_TR_FUNCTIONS(UserMessages)
public:
    // The kind decides; when the server said so (a code), the code's title and sentence.
    static UserMessage forError(const agency::UploadError &error);
    // One sentence of its own per code (docs/PROTOCOL.md, section 5).
    static QString forErrorCode(protocol::ErrorCode code);
    static QString titleForErrorCode(protocol::ErrorCode code);
    // The bet rules' reasons (protocol/bet.h, bet_csv.h, the file reader) in the person's
    // language; an unknown reason is returned as it is.
    static QString forInvalidRow(const QString &reason);
};

// The message for each ErrorCode of the protocol (docs/PROTOCOL.md), translated.
inline QString userMessageFor(protocol::ErrorCode code)
{
    return UserMessages::forErrorCode(code);
}

inline UserMessage userMessageFor(const agency::UploadError &error)
{
    return UserMessages::forError(error);
}

} // namespace lottery::gui
