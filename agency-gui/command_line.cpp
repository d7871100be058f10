#include "command_line.h"

#include "common/translations.h"

#include <QCommandLineParser>

namespace lottery::gui {

GuiCommandLine GuiCommandLine::parse(const QStringList &arguments)
{
    GuiCommandLine result;
    QCommandLineParser parser;
    parser.setApplicationDescription(
        tr("Uploads one agency's bets to the lottery server and shows its winners."));
    const QCommandLineOption help(
        {QStringLiteral("h"), QStringLiteral("help")}, tr("Show this help."));
    const QCommandLineOption server(QStringLiteral("server"),
        tr("Server address, or a list of them to fail over along in order."),
        QStringLiteral("HOST:PORT[,HOST:PORT...]"));
    const QCommandLineOption agency(
        QStringLiteral("agency"), tr("Agency number (1 or more)."), QStringLiteral("N"));
    const QCommandLineOption file(
        QStringLiteral("file"), tr("The agency's bets file (CSV)."), QStringLiteral("PATH"));
    const QCommandLineOption batch(
        QStringLiteral("batch-size"), tr("Bets per batch (1..65535)."), QStringLiteral("N"));
    const QCommandLineOption start(QStringLiteral("start"), tr("Start the upload at once."));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
        tr("Save a PNG of the window once the winners (or an error) are shown, then "
           "quit: exit code 0 only if the winners were received."),
        QStringLiteral("PATH"));
    const QCommandLineOption ca(QStringLiteral("ca"), tr("PEM CA to verify the server with (TLS)."),
        QStringLiteral("PATH"));
    const QCommandLineOption tokenFile(QStringLiteral("token-file"),
        tr("File holding the agency's token."), QStringLiteral("PATH"));
    const QCommandLineOption lang(QStringLiteral("lang"),
        tr("Language of the window: es (Spanish) or en (English); default: the one chosen in "
           "the window, else the system's."),
        QStringLiteral("es|en"));
    parser.addOptions({help, server, agency, file, batch, start, screenshot, ca, tokenFile, lang});

    auto failWith = [&result](const QString &message) {
        result.status = Status::Error;
        result.text = message;
        return result;
    };
    if (!parser.parse(arguments))
        return failWith(parser.errorText());
    if (parser.isSet(help)) {
        result.status = Status::Help;
        result.text = parser.helpText();
        return result;
    }
    if (!parser.positionalArguments().isEmpty())
        return failWith(
            tr("unexpected argument '%1'").arg(parser.positionalArguments().constFirst()));
    if (parser.isSet(server)) {
        QString error;
        result.servers = parseServerList(parser.value(server), nullptr, std::nullopt, &error);
        if (!result.servers)
            return failWith(error);
    }
    if (parser.isSet(agency)) {
        bool ok = false;
        const uint number = parser.value(agency).toUInt(&ok);
        if (!ok || number == 0)
            return failWith(
                tr("--agency must be a number of 1 or more, not '%1'").arg(parser.value(agency)));
        result.agency = number;
    }
    if (parser.isSet(file)) {
        if (parser.value(file).isEmpty())
            return failWith(tr("--file needs a path"));
        result.dataFile = parser.value(file);
    }
    if (parser.isSet(batch)) {
        bool ok = false;
        const int size = parser.value(batch).toInt(&ok);
        if (!ok || size < 1 || size > 0xFFFF)
            return failWith(
                tr("--batch-size must be in 1..65535, not '%1'").arg(parser.value(batch)));
        result.batchSize = size;
    }
    if (parser.isSet(lang)) {
        const auto language = parseLanguage(parser.value(lang));
        if (!language)
            return failWith(tr("--lang must be es or en, not '%1'").arg(parser.value(lang)));
        result.language = languageCode(*language);
    }
    if (parser.isSet(ca))
        result.caFile = parser.value(ca);
    if (parser.isSet(tokenFile))
        result.tokenFile = parser.value(tokenFile);
    result.start = parser.isSet(start);
    result.screenshotPath = parser.value(screenshot);
    if (parser.isSet(screenshot) && result.screenshotPath.isEmpty())
        return failWith(tr("--screenshot needs a path"));
    return result;
}

void GuiCommandLine::applyTo(UploadSettings &settings) const
{
    if (servers) {
        // One server fills both fields; a list goes whole into the server field.
        settings.host
            = servers->size() == 1 ? servers->constFirst().host : agency::toString(*servers);
        settings.port = servers->constFirst().port;
    }
    if (agency)
        settings.agency = *agency;
    if (dataFile)
        settings.dataFile = *dataFile;
    if (batchSize)
        settings.batchSize = *batchSize;
    if (caFile)
        settings.caFile = *caFile;
    if (tokenFile)
        settings.tokenFile = *tokenFile;
}

} // namespace lottery::gui
