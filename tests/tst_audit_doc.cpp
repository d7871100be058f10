// docs/AUDIT.md is the contract for the running digest: its Python script, extracted from the
// document as it stands, recomputes every agency's digest from a bets.csv that the real server
// wrote, and must agree with what the server says in WELCOME (protocol version 2). Names with
// commas, quotes and accents exercise the CSV quoting the script relies on.
#include "common/bet_digest.h"
#include "support/program_runner.h"
#include "tst_server_client.h"

#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <map>

using namespace lottery;
using namespace lottery::protocol;
using lottery::testing::ServerProcess;

namespace {

QString scriptFromDocument(QString *error)
{
    QFile file(QStringLiteral(LOTTERY_SOURCE_DIR "/docs/AUDIT.md"));
    if (!file.open(QIODevice::ReadOnly)) {
        *error = file.errorString();
        return {};
    }
    const QString text = QString::fromUtf8(file.readAll());
    const QRegularExpression block(
        QStringLiteral("```python\\n(.*?)```"), QRegularExpression::DotMatchesEverythingOption);
    const auto match = block.match(text);
    if (!match.hasMatch()) {
        *error = QStringLiteral("docs/AUDIT.md has no ```python block");
        return {};
    }
    return match.captured(1);
}

} // namespace

class TestAuditDoc : public QObject
{
    Q_OBJECT

private slots:
    void theDocumentsScriptAgreesWithTheServer();
};

void TestAuditDoc::theDocumentsScriptAgreesWithTheServer()
{
    const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
    QVERIFY2(!python.isEmpty(), "python3 is needed (scripts/install-deps.sh --with-tools)");
    QString error;
    const QString script = scriptFromDocument(&error);
    QVERIFY2(!script.isEmpty(), qPrintable(error));

    QTemporaryDir dir;
    const QString storage = dir.filePath(QStringLiteral("bets.csv"));
    ServerProcess server;
    QVERIFY(server.start(3, storage));
    const std::vector<std::vector<Bet>> batches[] = {
        {{makeBet("O'Neil, Jr", "P\xc3\xa9rez", "1", 7574), makeBet("Ana", "Paz", "2", 42)},
            {makeBet("Ana \"la\" Ma", "G\xc3\xb3mez", "0003", 1)}},
        {{makeBet("Jos\xc3\xa9", "Nu\xc3\xb1\x65z", "44", 9999, "2000-02-29")}},
    };
    std::map<quint32, Digest> digests;
    for (quint32 agency = 1; agency <= 2; ++agency) {
        TestClient client;
        QVERIFY(client.connectTo(server.port()));
        client.send(Hello {kProtocolVersion2, agency, {}});
        QVERIFY(client.receiveAs<Welcome>());
        quint64 sequence = 0;
        for (const std::vector<Bet> &bets : batches[agency - 1]) {
            client.send(Batch {++sequence, bets});
            const auto receipt = client.receiveAs<Receipt>();
            QVERIFY(receipt);
            digests[agency] = receipt->digest;
        }
    }
    QVERIFY(server.terminate());

    QFile scriptFile(dir.filePath(QStringLiteral("digest.py")));
    QVERIFY(scriptFile.open(QIODevice::WriteOnly));
    scriptFile.write(script.toUtf8());
    scriptFile.close();
    QProcess run;
    run.start(python, {scriptFile.fileName(), storage});
    QVERIFY(run.waitForFinished(30000));
    QCOMPARE(run.exitCode(), 0);
    const QStringList lines
        = QString::fromUtf8(run.readAllStandardOutput()).split(u'\n', Qt::SkipEmptyParts);
    QCOMPARE(lines,
        QStringList({QStringLiteral("1 3 %1").arg(digestHex(digests[1])),
            QStringLiteral("2 1 %1").arg(digestHex(digests[2]))}));
}

QTEST_GUILESS_MAIN(TestAuditDoc)
#include "tst_audit_doc.moc"
