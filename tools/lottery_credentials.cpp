// lottery-credentials: makes and checks the lines of the server's credentials file with the
// server's own code (server/net/credentials.h), so the two can never disagree on the scheme.
//
//   lottery-credentials hash AGENCY TOKEN_FILE [ITERATIONS]   prints N:pbkdf2-sha256:...
//   lottery-credentials verify CREDENTIALS_FILE AGENCY TOKEN_FILE   exit 0 if the token is right
//
// Tokens are read from a file ('-' for standard input), never from the command line, where any
// local user could see them in `ps`. Surrounding whitespace (the trailing newline) is dropped.
#include "server/net/credentials.h"

#include <QCoreApplication>
#include <QFile>

#include <cstdio>

namespace {

constexpr int kExitUsage = 2;

int usage()
{
    std::fputs("usage: lottery-credentials hash AGENCY TOKEN_FILE [ITERATIONS]\n"
               "       lottery-credentials verify CREDENTIALS_FILE AGENCY TOKEN_FILE\n",
        stderr);
    return kExitUsage;
}

bool readToken(const QString &path, QByteArray *token)
{
    QFile file;
    const bool opened = path == QLatin1String("-")
        ? file.open(stdin, QIODevice::ReadOnly)
        : (file.setFileName(path), file.open(QIODevice::ReadOnly));
    if (!opened) {
        std::fprintf(stderr, "lottery-credentials: token file %s: %s\n", qPrintable(path),
            qPrintable(file.errorString()));
        return false;
    }
    *token = file.readAll().trimmed();
    if (token->isEmpty()) {
        std::fprintf(stderr, "lottery-credentials: token file %s is empty\n", qPrintable(path));
        return false;
    }
    return true;
}

bool parseNumber(const QString &text, qulonglong min, qulonglong max, qulonglong *value)
{
    bool ok = false;
    *value = text.toULongLong(&ok);
    return ok && *value >= min && *value <= max;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = QCoreApplication::arguments().mid(1);
    namespace credentials = lottery::server::credentials;

    if (args.size() >= 3 && args.size() <= 4 && args.at(0) == QLatin1String("hash")) {
        qulonglong agency = 0;
        qulonglong iterations = credentials::kDefaultIterations;
        if (!parseNumber(args.at(1), 1, 0xFFFFFFFFULL, &agency)) {
            std::fprintf(stderr, "lottery-credentials: agency '%s' is not 1..4294967295\n",
                qPrintable(args.at(1)));
            return kExitUsage;
        }
        if (args.size() == 4
            && !parseNumber(args.at(3), credentials::kMinIterations, credentials::kMaxIterations,
                &iterations)) {
            std::fprintf(stderr, "lottery-credentials: iterations '%s' are not %d..%d\n",
                qPrintable(args.at(3)), credentials::kMinIterations, credentials::kMaxIterations);
            return kExitUsage;
        }
        QByteArray token;
        if (!readToken(args.at(2), &token))
            return 1;
        const lottery::server::CredentialRecord record = credentials::makeRecord(
            static_cast<quint32>(agency), token, static_cast<int>(iterations));
        std::printf("%s\n", qPrintable(credentials::formatRecord(record)));
        return 0;
    }
    if (args.size() == 4 && args.at(0) == QLatin1String("verify")) {
        lottery::server::CredentialStore store;
        if (!store.load(args.at(1))) {
            std::fprintf(stderr, "lottery-credentials: %s\n", qPrintable(store.errorString()));
            return 1;
        }
        qulonglong agency = 0;
        if (!parseNumber(args.at(2), 1, 0xFFFFFFFFULL, &agency))
            return usage();
        QByteArray token;
        if (!readToken(args.at(3), &token))
            return 1;
        const bool ok = store.verify(static_cast<quint32>(agency), token);
        std::printf("agency %llu: %s\n", agency, ok ? "token accepted" : "token refused");
        return ok ? 0 : 1;
    }
    return usage();
}
