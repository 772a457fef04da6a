/** The baseline: a bare JVM that only starts a child and waits for it. */
public class BareStarter {
    public static void main(String[] args) throws Exception {
        System.exit(new ProcessBuilder(args).inheritIO().start().waitFor());
    }
}
