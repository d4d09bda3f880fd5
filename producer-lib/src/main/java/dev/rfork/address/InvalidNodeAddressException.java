package dev.rfork.address;

/** A node address that cannot be used, with the text given and what is wrong with it. */
public final class InvalidNodeAddressException extends IllegalArgumentException {
    private final String input;

    public InvalidNodeAddressException(String input, String problem) {
        super("node address '" + input + "' " + problem);
        this.input = input;
    }

    public String input() {
        return input;
    }
}
