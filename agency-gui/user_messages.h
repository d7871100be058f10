// What the window tells a person when something goes wrong, in their language: one sentence per
// error code the server can send, per way an upload can fail, and per bet rule an invalid row
// breaks. The technical detail (English, from deep inside the library) goes to the log pane only.
#pragma once

#include "lottery/agency/agency_session.h"
#include "lottery/protocol/errors.h"

#include <QCoreApplication>
#include <QString>

namespace lottery::gui {

class UserMessages
{
    Q_DECLARE_TR_FUNCTIONS(UserMessages)
public:
    static QString forErrorCode(protocol::ErrorCode code);
    static QString forFailure(agency::AgencySession::FailureKind kind);
    // The bet rules' reasons (protocol/bet.h, bet_csv.h, the file reader) in the user's
    // language; an unknown reason is returned as it is.
    static QString forInvalidRow(const QString &reason);
};

// The message for each ErrorCode of the protocol (docs/PROTOCOL.md), translated.
inline QString userMessageFor(protocol::ErrorCode code)
{
    return UserMessages::forErrorCode(code);
}

} // namespace lottery::gui
