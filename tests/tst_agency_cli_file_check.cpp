// agency-cli and a suspicious file (docs/PROTOCOL.md 10.9), the real programs over loopback: a
// file saved as Windows-1252, a ';'-separated one, an empty one, one with a header row, one with
// no valid row and one with many invalid rows are each refused with exit code 2, a log line that
// names the concern and an explanation in Spanish, before anything is sent: the server sees no
// connection at all, and a later run with the corrected file is welcomed with nothing stored and
// completes (the agency's upload was not closed). --accept-suspicious-file and
// CLI_ACCEPT_SUSPICIOUS_FILE send it anyway; a good file meets no check at all.
#include "support/program_runner.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace lottery::testing;

namespace {

constexpr int kTimeoutMs = 60000;
constexpr int kRows = 20;

// kRows rows; `name(i)` gives row i's first name, `separator` joins the fields.
QByteArray rows(const std::function<QByteArray(int)> &name, char separator = ',')
{
    QByteArray content;
    for (int i = 0; i < kRows; ++i) {
        const QList<QByteArray> fields {name(i), "Paz", QByteArray::number(30000000 + i),
            "1990-01-02", QByteArray::number(i % 5 == 0 ? 7574 : i)};
        content += fields.join(separator) + "\r\n";
    }
    return content;
}

QByteArray plainName(int)
{
    return "Ana";
}

bool writeFile(const QString &path, const QByteArray &content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(content) == content.size();
}

int lineCount(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    return static_cast<int>(file.readAll().count('\n'));
}

} // namespace

class TestAgencyCliFileCheck : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void suspiciousFileIsRefused_data();
    void suspiciousFileIsRefused();
    void suspiciousFileSentWhenAccepted_data();
    void suspiciousFileSentWhenAccepted();
    void goodFileMeetsNoCheck();
    void fileWrongOnlyAsAWholeIsNotClosed();

private:
    QTemporaryDir m_dir;
};

void TestAgencyCliFileCheck::initTestCase()
{
    QVERIFY(m_dir.isValid());
    QVERIFY2(QFile::exists(binaryPath(QStringLiteral("agency-cli"))), "agency-cli is not built");
    QVERIFY2(
        QFile::exists(binaryPath(QStringLiteral("lottery-server"))), "lottery-server is not built");
}

void TestAgencyCliFileCheck::suspiciousFileIsRefused_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("concerns"); // the log line's `motivos`
    QTest::addColumn<QString>("spanish"); // a part of the explanation

    // What most shop PCs write: "José" as Windows-1252 on every other row.
    QTest::newRow("windows-1252") << rows([](int i) {
        return i % 2 ? QByteArray("Jos\xE9") : QByteArray("Ana");
    }) << "not_utf8,many_invalid_rows"
                                  << QString::fromUtf8("no está guardado como texto UTF-8");
    QTest::newRow("semicolons") << rows(plainName, ';') << "semicolon_separated,no_valid_rows"
                                << QString::fromUtf8("separadas por ';'");
    QTest::newRow("empty") << QByteArray() << "empty"
                           << QString::fromUtf8("El archivo no tiene filas");
    QTest::newRow("header row") << "nombre,apellido,documento,nacimiento,numero\r\n"
            + rows(plainName) << "header_row"
                                << QString::fromUtf8("tiene nombres de columnas");
    QTest::newRow("no valid rows")
        << rows([](int) { return QByteArray(" Ana"); }) << "no_valid_rows"
        << QString::fromUtf8("Ninguna de las 20 filas");
    QTest::newRow("many invalid rows")
        << rows([](int i) { return i < 5 ? QByteArray("=Ana") : QByteArray("Ana"); })
        << "many_invalid_rows" << QString::fromUtf8("5 de las 20 filas");
}

void TestAgencyCliFileCheck::suspiciousFileIsRefused()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, concerns);
    QFETCH(QString, spanish);

    const QString tag = QString::fromLatin1(QTest::currentDataTag()).replace(' ', '-');
    const QString file = m_dir.filePath(tag + QStringLiteral(".csv"));
    const QString storage = m_dir.filePath(tag + QStringLiteral("-bets.csv"));
    QVERIFY(writeFile(file, content));
    ServerProcess server;
    QVERIFY(server.start(1, storage));

    AgencyProcess refused;
    refused.start(1, server.address(), file, {QStringLiteral("--lang"), QStringLiteral("es")});
    QVERIFY(refused.waitForFinished(kTimeoutMs));
    const QString output = QString::fromUtf8(refused.output());
    QCOMPARE(refused.exitStatus(), QProcess::NormalExit);
    QVERIFY2(refused.exitCode() == 2, qPrintable(output));
    const QString logged
        = QStringLiteral("action: archivo_sospechoso | result: fail | archivo: %1 | "
                         "motivos: %2 |")
              .arg(file, concerns);
    QVERIFY2(output.contains(logged), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("| decision: rechazado")), qPrintable(output));
    QVERIFY2(output.contains(spanish), qPrintable(output));
    QVERIFY2(
        output.contains(QString::fromUtf8("cierra la subida de esta agencia")), qPrintable(output));
    QVERIFY2(output.contains(QString::fromUtf8("No se envió nada")), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("--accept-suspicious-file")), qPrintable(output));
    // Nothing went out: no HELLO, not even a connection.
    QVERIFY2(!output.contains(QStringLiteral("action: conexion")), qPrintable(output));
    QCOMPARE(server.countLines("action: conexion | result: success"), 0);

    // The corrected file: welcomed with nothing stored, and the upload completes (no DONE was
    // sent, so the agency's upload was not closed).
    const QString good = m_dir.filePath(tag + QStringLiteral("-good.csv"));
    QVERIFY(writeFile(good, rows(plainName)));
    AgencyProcess corrected;
    corrected.start(1, server.address(), good);
    QVERIFY(corrected.waitForFinished(kTimeoutMs));
    const QString correctedOutput = QString::fromUtf8(corrected.output());
    QVERIFY2(corrected.exitCode() == 0, qPrintable(correctedOutput));
    QVERIFY2(correctedOutput.contains(QStringLiteral("apuestas_guardadas: 0")),
        qPrintable(correctedOutput));
    QCOMPARE(corrected.reportedWinners(), 4);
    QVERIFY(server.terminate());
    QCOMPARE(lineCount(storage), kRows);
}

void TestAgencyCliFileCheck::suspiciousFileSentWhenAccepted_data()
{
    QTest::addColumn<bool>("byFlag"); // else by the environment variable
    QTest::newRow("--accept-suspicious-file") << true;
    QTest::newRow("CLI_ACCEPT_SUSPICIOUS_FILE=1") << false;
}

// Sent as it is: the rows that are not UTF-8 are invalid (reported, not sent), the rest stored.
void TestAgencyCliFileCheck::suspiciousFileSentWhenAccepted()
{
    QFETCH(bool, byFlag);
    const QString tag = byFlag ? QStringLiteral("flag") : QStringLiteral("variable");
    const QString file = m_dir.filePath(tag + QStringLiteral("-latin1.csv"));
    QVERIFY(writeFile(file,
        rows([](int i) { return i == 3 || i == 4 ? QByteArray("Jos\xE9") : QByteArray("Ana"); })));
    const QString storage = m_dir.filePath(tag + QStringLiteral("-accepted-bets.csv"));
    ServerProcess server;
    QVERIFY(server.start(1, storage));
    if (!byFlag)
        qputenv("CLI_ACCEPT_SUSPICIOUS_FILE", "1");
    AgencyProcess agency;
    agency.start(1, server.address(), file,
        byFlag ? QStringList {QStringLiteral("--accept-suspicious-file")} : QStringList {});
    const bool finished = agency.waitForFinished(kTimeoutMs);
    qunsetenv("CLI_ACCEPT_SUSPICIOUS_FILE");
    QVERIFY(finished);
    const QString output = QString::fromUtf8(agency.output());
    QVERIFY2(agency.exitCode() == 2, qPrintable(output)); // some rows were invalid
    QVERIFY2(output.contains(QStringLiteral("action: archivo_sospechoso | result: success | "
                                            "archivo: %1 | motivos: not_utf8 | filas_validas: 18 | "
                                            "filas_invalidas: 2 | decision: enviado por "
                                            "--accept-suspicious-file")
                                 .arg(file)),
        qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("action: apuesta_invalida | result: fail | linea: 4")),
        qPrintable(output));
    QCOMPARE(agency.reportedWinners(), 4);
    QVERIFY(server.terminate());
    QCOMPARE(lineCount(storage), kRows - 2);
}

// The course's flow: a good file, no check line, no question, exit 0.
void TestAgencyCliFileCheck::goodFileMeetsNoCheck()
{
    const QString file = m_dir.filePath(QStringLiteral("good.csv"));
    QVERIFY(writeFile(file, rows(plainName)));
    ServerProcess server;
    QVERIFY(server.start(1, m_dir.filePath(QStringLiteral("good-bets.csv"))));
    AgencyProcess agency;
    agency.start(1, server.address(), file);
    QVERIFY(agency.waitForFinished(kTimeoutMs));
    const QString output = QString::fromUtf8(agency.output());
    QVERIFY2(agency.exitCode() == 0, qPrintable(output));
    QVERIFY2(!output.contains(QStringLiteral("archivo_sospechoso")), qPrintable(output));
    QCOMPARE(agency.reportedWinners(), 4);
    QVERIFY(server.terminate());
}

// A long file is judged by its first 4096 rows before anything is sent, and whole while it is
// sent (one read, not two). Here the first 5000 rows are good and the 1000 after them invalid
// (17 %): the valid rows are sent and stored, DONE is withheld (the agency is not closed), exit 2
// with the reason in Spanish. Accepting the file then resumes, sends nothing twice and closes.
void TestAgencyCliFileCheck::fileWrongOnlyAsAWholeIsNotClosed()
{
    constexpr int kGood = 5000;
    constexpr int kBad = 1000;
    QByteArray content;
    for (int i = 0; i < kGood + kBad; ++i) {
        const QByteArray name = i < kGood ? QByteArray("Ana") : QByteArray("=Ana");
        content += name + ",Paz," + QByteArray::number(30000000 + i) + ",1990-01-02,"
            + QByteArray::number(i % 100 == 0 ? 7574 : i % 7000) + "\r\n";
    }
    const QString file = m_dir.filePath(QStringLiteral("wrong-as-a-whole.csv"));
    QVERIFY(writeFile(file, content));
    const QString storage = m_dir.filePath(QStringLiteral("wrong-as-a-whole-bets.csv"));
    ServerProcess server;
    QVERIFY(server.start(1, storage));

    AgencyProcess withheld;
    withheld.start(1, server.address(), file,
        {QStringLiteral("--lang"), QStringLiteral("es"), QStringLiteral("--batch-max"),
            QStringLiteral("50"), QStringLiteral("--window"), QStringLiteral("8")});
    QVERIFY(withheld.waitForFinished(kTimeoutMs));
    const QString output = QString::fromUtf8(withheld.output());
    QCOMPARE(withheld.exitStatus(), QProcess::NormalExit);
    QVERIFY2(withheld.exitCode() == 2, qPrintable(output));
    // Not refused before sending (the first 4096 rows are good): no such line...
    QVERIFY2(!output.contains(QStringLiteral("| decision: rechazado")), qPrintable(output));
    // ...but the whole file's verdict ends the run, after every batch sent was acknowledged.
    QVERIFY2(output.contains(QStringLiteral("action: archivo_sospechoso | result: fail")),
        qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("many_invalid_rows")), qPrintable(output));
    QVERIFY2(output.contains(QString::fromUtf8("la subida de la agencia no se cerró")),
        qPrintable(output));
    QVERIFY2(output.contains(QString::fromUtf8("1000 de las 6000 filas")), qPrintable(output));
    QVERIFY2(output.contains(QStringLiteral("--accept-suspicious-file")), qPrintable(output));
    QCOMPARE(lineCount(storage), kGood); // every valid row stored...
    QCOMPARE(server.countLines("action: agencia_finalizada"), 0); // ...and the agency not closed

    AgencyProcess accepted;
    accepted.start(1, server.address(), file, {QStringLiteral("--accept-suspicious-file")});
    QVERIFY(accepted.waitForFinished(kTimeoutMs));
    const QString acceptedOutput = QString::fromUtf8(accepted.output());
    QVERIFY2(accepted.exitCode() == 2, qPrintable(acceptedOutput)); // invalid rows, as always
    QVERIFY2(acceptedOutput.contains(QStringLiteral("apuestas_guardadas: %1").arg(kGood)),
        qPrintable(acceptedOutput));
    QCOMPARE(accepted.reportedWinners(), kGood / 100);
    QTRY_COMPARE(server.countLines("action: agencia_finalizada | result: success"), 1);
    QVERIFY(server.terminate());
    QCOMPARE(lineCount(storage), kGood); // nothing sent twice
}

QTEST_GUILESS_MAIN(TestAgencyCliFileCheck)
#include "tst_agency_cli_file_check.moc"
