// One row of a bets file for every reason a row is not sent (protocol/bet.h's validateBet,
// agency_csv_row.h's parser, BetFileReader's line limit), with the reason as the log line says it
// (English, an interface) and as a person reads it in English and in Spanish. Shared by the
// tests of the agency library's messages, of agency-gui and of agency-cli, so that a rule
// without a translation shows in all three.
#pragma once

#include <QByteArray>
#include <QFile>
#include <QList>
#include <QString>

namespace lottery::testing {

struct InvalidRowCase {
    const char *name; // the test row's name
    QByteArray line; // the CSV line, without its line ending
    QString reason; // what the library reports and logs
    QString english; // what a person reads in English
    QString spanish; // what a person reads in Spanish
};

inline QList<InvalidRowCase> invalidRowCases()
{
    const auto u = [](const char *text) { return QString::fromUtf8(text); };
    const QByteArray tail = ",Perez,12345678,1990-05-17,1234";
    return {
        {"line too long", QByteArray(8200, 'a'), u("line is longer than 8192 bytes"),
            u("the line is longer than 8192 bytes"), u("la línea tiene más de 8192 bytes")},
        {"bad quoting", "\"Ana,Perez,12345678,1990-05-17,1234", u("malformed CSV quoting"),
            u("badly placed quotes"), u("comillas mal puestas")},
        {"four fields", "Ana,Perez,12345678,1990-05-17", u("expected 5 fields, found 4"),
            u("expected 5 fields, found 4"), u("se esperaban 5 campos y hay 4")},
        {"number not an integer", "Ana,Perez,12345678,1990-05-17,12x",
            u("number is not an integer"), u("number is not a whole number"),
            u("el número no es un número entero")},
        {"empty first name", ",Perez,12345678,1990-05-17,1234", u("first_name is empty"),
            u("first name is empty"), u("falta el nombre")},
        {"long last name", "Ana," + QByteArray(256, 'b') + ",12345678,1990-05-17,1234",
            u("last_name is longer than 255 bytes"), u("last name is longer than 255 bytes"),
            u("el apellido tiene más de 255 bytes")},
        {"bad UTF-8", "An\xff" + tail, u("first_name is not valid UTF-8"),
            u("first name is not valid UTF-8 text"), u("el nombre no es texto UTF-8 válido")},
        {"control character", "A\x01na" + tail, u("first_name contains a control character"),
            u("first name contains a control character"),
            u("el nombre tiene un carácter de control")},
        {"C1 control", "A\xc2\x85na" + tail,
            u("first_name contains a C1 control character (U+0080..U+009F)"),
            u("first name contains an invisible control character (U+0080 to U+009F)"),
            u("el nombre tiene un carácter de control invisible (U+0080 a U+009F)")},
        {"line separator", "A\xe2\x80\xa8na" + tail,
            u("first_name contains a line or paragraph separator (U+2028/U+2029)"),
            u("first name contains a line or paragraph separator (U+2028/U+2029)"),
            u("el nombre tiene un separador de línea o de párrafo (U+2028/U+2029)")},
        {"spaces", "Ana, Perez,12345678,1990-05-17,1234",
            u("last_name has leading or trailing spaces"),
            u("last name has spaces at the start or the end"),
            u("el apellido tiene espacios al principio o al final")},
        // Not on a file's first line: there the reader drops a byte order mark as the file's.
        {"byte order mark",
            "\xef\xbb\xbf"
            "Ana"
                + tail,
            u("first_name begins with a byte order mark (U+FEFF)"),
            u("first name begins with an invisible byte order mark (U+FEFF)"),
            u("el nombre empieza con una marca de orden de bytes invisible (U+FEFF)")},
        {"no-break space", "Ana\xc2\xa0" + tail,
            u("first_name has a leading or trailing no-break space (U+00A0)"),
            u("first name has a no-break space (U+00A0) at the start or the end"),
            u("el nombre tiene un espacio de no separación (U+00A0) al principio o al final")},
        {"formula", "=Ana" + tail,
            u("first_name begins with '=': not a name (a spreadsheet would run it as a formula)"),
            u("first name begins with '=', which a spreadsheet would run as a formula"),
            u("el nombre empieza con '=', que una planilla de cálculo ejecutaría como fórmula")},
        {"empty document", "Ana,Perez,,1990-05-17,1234", u("document is empty"),
            u("document is empty"), u("falta el documento")},
        {"long document", "Ana,Perez,123456789012345678901,1990-05-17,1234",
            u("document has more than 20 digits"), u("document has more than 20 digits"),
            u("el documento tiene más de 20 dígitos")},
        {"document not digits", "Ana,Perez,12.345.678,1990-05-17,1234",
            u("document must contain only digits"), u("document must contain only digits"),
            u("el documento debe tener solo dígitos")},
        {"not a date", "Ana,Perez,12345678,2023-02-29,1234",
            u("birthdate is not a real date in YYYY-MM-DD form"),
            u("birthdate is not a real date in YYYY-MM-DD form"),
            u("la fecha de nacimiento no es una fecha real con la forma AAAA-MM-DD")},
        {"before 1900", "Ana,Perez,12345678,1899-12-31,1234", u("birthdate is before 1900"),
            u("birthdate is before 1900"), u("la fecha de nacimiento es anterior a 1900")},
        {"future", "Ana,Perez,12345678,2999-01-01,1234", u("birthdate is in the future"),
            u("birthdate is in the future"), u("la fecha de nacimiento está en el futuro")},
        {"number too large", "Ana,Perez,12345678,1990-05-17,10000", u("number is above 9999"),
            u("number is above 9999"), u("el número es mayor que 9999")},
    };
}

// A bets file: a valid row, then `cases`' lines (the first on line 2), then another valid row.
[[nodiscard]] inline bool writeInvalidRowsFile(
    const QString &path, const QList<InvalidRowCase> &cases)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
        return false;
    QByteArray bytes = "Juana,Gomez,30111222,1985-03-02,7574\r\n";
    for (const InvalidRowCase &c : cases)
        bytes += c.line + "\r\n";
    bytes += "Pedro,Diaz,30111223,1979-11-30,42\r\n";
    return file.write(bytes) == bytes.size() && file.flush();
}

} // namespace lottery::testing
