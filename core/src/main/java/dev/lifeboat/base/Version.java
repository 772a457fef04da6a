package dev.lifeboat.base;

/** Lifeboat's version, from the jar manifest. */
public final class Version {
    private Version() {}

    public static String get() {
        String v = Version.class.getPackage().getImplementationVersion();
        return v == null ? "development" : v;
    }
}
