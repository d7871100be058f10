#include "error_messages.h"

#include <QCoreApplication>

namespace lottery::gui {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("lottery::gui::ErrorMessages", text);
}

} // namespace

UserMessage userMessageFor(protocol::ErrorCode code)
{
    using protocol::ErrorCode;
    switch (code) {
    case ErrorCode::MalformedFrame:
    case ErrorCode::FrameTooLarge:
    case ErrorCode::UnknownMessageType:
    case ErrorCode::UnexpectedMessage:
        return {tr("The server did not understand this agency"),
            tr("The server and this program disagree about the protocol. Report it to the "
               "lottery's operators.")};
    case ErrorCode::UnsupportedVersion:
        return {tr("Protocol version mismatch"),
            tr("The server speaks another version of the protocol. Install the agency program "
               "that matches the server.")};
    case ErrorCode::InvalidAgency:
        return {tr("Agency refused by the server"),
            tr("The server does not know this agency number. Check the agency number.")};
    case ErrorCode::InvalidBet:
        return {tr("Batch rejected by the server"),
            tr("The server refused a bet this program accepted. Report it to the lottery's "
               "operators.")};
    case ErrorCode::SequenceGap:
    case ErrorCode::SequenceConflict:
        return {tr("The server's record of this agency changed"),
            tr("The server's record of what it stored did not match this upload, even after "
               "starting again from it. Report it to the lottery's operators.")};
    case ErrorCode::BatchAfterDone:
        return {tr("This agency's upload is already closed"),
            tr("The server already finished this agency's upload and holds fewer bets than "
               "this file. Check that it is the right file.")};
    case ErrorCode::StorageFailure:
        return {tr("The server could not store the bets"),
            tr("No server could store the bets durably; nothing unconfirmed was counted. Try "
               "again later.")};
    case ErrorCode::AuthenticationFailed:
        return {tr("Agency token refused"),
            tr("The server refused this agency's token. Check the token file.")};
    case ErrorCode::ServerBusy:
        return {tr("The server is busy"), tr("Every server is at its limit. Try again later.")};
    case ErrorCode::ShuttingDown:
        return {tr("The server is stopping"),
            tr("The server is shutting down and no other server took over. Try again later.")};
    case ErrorCode::Timeout:
        return {tr("The server gave up waiting"),
            tr("The server closed the session because this agency was too slow. Check the "
               "network, then retry.")};
    case ErrorCode::Superseded:
        return {tr("Another upload of this agency took over"),
            tr("A newer session of the same agency number replaced this one. Make sure only "
               "one program uploads for this agency.")};
    case ErrorCode::Internal:
        return {tr("Error in the server"),
            tr("The server failed on its side. Report it to the lottery's operators.")};
    }
    return {tr("Error from the server"), tr("The server refused the upload.")};
}

UserMessage userMessageFor(const agency::UploadError &error)
{
    using Kind = agency::UploadError::Kind;
    switch (error.kind) {
    case Kind::InvalidOptions:
        return {tr("Invalid settings"), tr("Correct the settings, then retry.")};
    case Kind::FileError:
        return {tr("Cannot read the bets file"), tr("Check the bets file, then retry.")};
    case Kind::WrongFile:
        return {tr("Wrong bets file"),
            tr("The server already holds more bets of this agency than this file has. Check "
               "the agency number and the file.")};
    case Kind::ConnectTimeout:
        if (error.code) // gave up on an outage a server's code started (storage_failure...)
            return userMessageFor(*error.code);
        if (error.socketError == QAbstractSocket::HostNotFoundError)
            return {tr("Server unreachable"), tr("The server's name is unknown. Check it.")};
        return {tr("Server unreachable"),
            tr("No server answered. Check the server addresses and the network, then retry.")};
    case Kind::TlsError:
        return {tr("Secure connection failed"),
            tr("The server could not be verified with the CA file. Check the CA file and the "
               "server's name.")};
    case Kind::ConnectionLost:
        return {tr("Connection lost"),
            tr("The connection to the server ended. Retry: the upload resumes where the server "
               "left it.")};
    case Kind::ResponseTimeout:
        return {tr("The server stopped answering"),
            tr("Retry: the upload resumes where the server left it.")};
    case Kind::ProtocolViolation:
        return {tr("Unexpected answer from the server"),
            tr("The server answered something this program does not expect. Report it to the "
               "lottery's operators.")};
    case Kind::VersionMismatch: return userMessageFor(protocol::ErrorCode::UnsupportedVersion);
    case Kind::AcknowledgedBetsLost:
        return {tr("The server lost confirmed bets"),
            tr("The server now holds fewer bets than it confirmed. Report it to the lottery's "
               "operators before retrying.")};
    case Kind::ServerError:
    case Kind::BatchRejected:
    case Kind::ResyncLimit:
        if (error.code)
            return userMessageFor(*error.code);
        break;
    case Kind::None: break;
    }
    return {tr("Upload failed"), tr("Retry, or report it to the lottery's operators.")};
}

} // namespace lottery::gui
