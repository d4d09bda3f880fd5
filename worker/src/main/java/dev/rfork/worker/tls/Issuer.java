package dev.rfork.worker.tls;

import dev.rfork.config.TlsFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The keytool runs that make a CA and a node certificate, in a private working directory. The
 * node's key pair and request are made while the CA's key is (two short JVMs on two cores), so a
 * fresh node waits about three keytool runs, not four.
 */
final class Issuer {
    /** Browsers cap server certificates at 398 days; rfork's are private, 825 days, rotated by deleting node.p12. */
    static final int NODE_DAYS = 825;

    static final int CA_DAYS = 3650;
    private static final String CA_PASSWORD = "RFORK_TLS_CA_PASSWORD";
    private static final String NODE_PASSWORD = "RFORK_TLS_KEYSTORE_PASSWORD";

    private final Path work;
    private final NodeTls tls;
    private final List<String> names;
    private final Keytool keytool;
    private Process caBeingMade;

    Issuer(Path work, NodeTls tls, List<String> names) {
        this.work = work;
        this.tls = tls;
        this.names = names;
        this.keytool = new Keytool(work, Map.of(CA_PASSWORD, tls.caPassword(), NODE_PASSWORD, tls.keystorePassword()));
    }

    /** Starts making a new CA in the working directory; {@link #awaitCa} waits for it. */
    Path startCa() throws IOException {
        // A random id keeps CAs of the same node apart (a rotated CA, a test's second CA).
        String id = HexFormat.of().formatHex(randomBytes());
        caBeingMade = keytool.start(
                "-genkeypair",
                "-alias",
                TlsFiles.CA_ALIAS,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=rfork CA " + names.get(0) + " " + id + ", O=rfork",
                "-ext",
                "bc:c=ca:true,pathlen:0",
                "-ext",
                "ku:c=keyCertSign,cRLSign",
                "-validity",
                Integer.toString(CA_DAYS),
                "-keystore",
                TlsFiles.CA_FILE,
                "-storetype",
                TlsFiles.STORE_TYPE,
                "-storepass:env",
                CA_PASSWORD);
        return work.resolve(TlsFiles.CA_FILE);
    }

    /** Makes the node's key and its certificate request (while the CA may still be made). */
    void requestNode() throws IOException {
        keytool.run(
                "-genkeypair",
                "-alias",
                TlsFiles.NODE_ALIAS,
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-dname",
                "CN=" + names.get(0) + ", O=rfork",
                "-validity",
                Integer.toString(NODE_DAYS),
                "-keystore",
                TlsFiles.KEYSTORE_FILE,
                "-storetype",
                TlsFiles.STORE_TYPE,
                "-storepass:env",
                NODE_PASSWORD);
        keytool.run(
                "-certreq",
                "-alias",
                TlsFiles.NODE_ALIAS,
                "-keystore",
                TlsFiles.KEYSTORE_FILE,
                "-storetype",
                TlsFiles.STORE_TYPE,
                "-storepass:env",
                NODE_PASSWORD,
                "-file",
                "node.csr");
    }

    /** Has the CA sign the node's request, and writes node.p12 with the chain (node, CA). */
    void signNode(Path ca, X509Certificate caCertificate) throws IOException, GeneralSecurityException {
        keytool.run(
                "-gencert",
                "-alias",
                Stores.keyAlias(ca, tls.caPassword()),
                "-keystore",
                ca.toString(),
                "-storetype",
                TlsFiles.STORE_TYPE,
                "-storepass:env",
                CA_PASSWORD,
                "-infile",
                "node.csr",
                "-outfile",
                "node.pem",
                "-rfc",
                "-validity",
                Integer.toString(NODE_DAYS),
                "-ext",
                NodeCertificates.subjectAlternativeNames(names),
                "-ext",
                "ku:c=digitalSignature",
                "-ext",
                "eku=serverAuth,clientAuth");
        Stores.installChain(
                work.resolve(TlsFiles.KEYSTORE_FILE), tls.keystorePassword(), work.resolve("node.pem"), caCertificate);
    }

    /** Waits for the CA being made, if one is. */
    void awaitCa() throws IOException {
        if (caBeingMade != null) {
            Keytool.await(caBeingMade, "-genkeypair (CA)");
            caBeingMade = null;
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[4];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }
}
