package org.medsa.core.io.pth;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A pickle virtual machine for the subset of Python objects that {@code torch.save} writes:
 * containers, numbers, strings, tensors rebuilt by {@code torch._utils}, and persistent storage
 * references. Classes it does not know become {@link PyObject}s instead of failing, so a
 * checkpoint that also pickles, say, an {@code argparse.Namespace} still loads.
 *
 * <p>Python values map to Java as: dict/OrderedDict to {@link LinkedHashMap}, list to {@link
 * ArrayList}, tuple to {@link PyTuple}, int to {@link Long} (or {@link BigInteger}), float to
 * {@link Double}, bool to {@link Boolean}, None to null, str to {@link String}, bytes to byte[].
 */
final class Unpickler {

    private static final Object MARK = new Object();

    private final ByteSource in;
    private final Function<Object, Object> persistentLoad;
    private final Map<Long, Object> memo = new HashMap<>();
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();

    Unpickler(ByteSource in, Function<Object, Object> persistentLoad) {
        this.in = in;
        this.persistentLoad = persistentLoad;
    }

    /** Reads one pickle up to its STOP opcode and returns the object it built. */
    Object load() throws IOException {
        while (true) {
            int op = in.read();
            switch (op) {
                case 0x80: // PROTO
                    in.read();
                    break;
                case 0x95: // FRAME (protocol 4): the length is only a hint
                    readLong8();
                    break;
                case '.': // STOP
                    return pop();
                case '(': // MARK
                    marks.add(stack.size());
                    stack.add(MARK);
                    break;
                case '}': // EMPTY_DICT
                    push(new LinkedHashMap<>());
                    break;
                case ']': // EMPTY_LIST
                    push(new ArrayList<>());
                    break;
                case ')': // EMPTY_TUPLE
                    push(new PyTuple(List.of()));
                    break;
                case 0x8f: // EMPTY_SET
                    push(new LinkedHashSet<>());
                    break;
                case 'N':
                    push(null);
                    break;
                case 0x88: // NEWTRUE
                    push(Boolean.TRUE);
                    break;
                case 0x89: // NEWFALSE
                    push(Boolean.FALSE);
                    break;
                case 'J': // BININT
                    push((long) readInt4());
                    break;
                case 'K': // BININT1
                    push((long) in.read());
                    break;
                case 'M': // BININT2
                    push((long) (in.read() | (in.read() << 8)));
                    break;
                case 0x8a: // LONG1
                    push(decodeLong(in.readBytes(in.read())));
                    break;
                case 0x8b: // LONG4
                    push(decodeLong(in.readBytes(readInt4())));
                    break;
                case 'I': // INT (text)
                    push(parseTextInt(readLine()));
                    break;
                case 'L': // LONG (text)
                    push(parseTextLong(readLine()));
                    break;
                case 'G': // BINFLOAT, big-endian
                    push(ByteBuffer.wrap(in.readBytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble());
                    break;
                case 'F': // FLOAT (text)
                    push(Double.parseDouble(readLine()));
                    break;
                case 'X': // BINUNICODE
                    push(new String(in.readBytes(readUInt4()), StandardCharsets.UTF_8));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    push(new String(in.readBytes(in.read()), StandardCharsets.UTF_8));
                    break;
                case 0x8d: // BINUNICODE8
                    push(new String(in.readBytes(readLong8()), StandardCharsets.UTF_8));
                    break;
                case 'V': // UNICODE (raw-unicode-escape text)
                    push(readLine());
                    break;
                case 'U': // SHORT_BINSTRING
                    push(new String(in.readBytes(in.read()), StandardCharsets.ISO_8859_1));
                    break;
                case 'T': // BINSTRING
                    push(new String(in.readBytes(readUInt4()), StandardCharsets.ISO_8859_1));
                    break;
                case 'S': // STRING (quoted text)
                    push(unquote(readLine()));
                    break;
                case 'C': // SHORT_BINBYTES
                    push(in.readBytes(in.read()));
                    break;
                case 'B': // BINBYTES
                    push(in.readBytes(readUInt4()));
                    break;
                case 0x8e: // BINBYTES8
                case 0x96: // BYTEARRAY8
                    push(in.readBytes(readLong8()));
                    break;
                case 'q': // BINPUT
                    memo.put((long) in.read(), peek());
                    break;
                case 'r': // LONG_BINPUT
                    memo.put(readUInt4(), peek());
                    break;
                case 'p': // PUT
                    memo.put(Long.parseLong(readLine()), peek());
                    break;
                case 0x94: // MEMOIZE
                    memo.put((long) memo.size(), peek());
                    break;
                case 'h': // BINGET
                    push(memoGet(in.read()));
                    break;
                case 'j': // LONG_BINGET
                    push(memoGet(readUInt4()));
                    break;
                case 'g': // GET
                    push(memoGet(Long.parseLong(readLine())));
                    break;
                case 'c': // GLOBAL
                    push(new PyGlobal(readLine(), readLine()));
                    break;
                case 0x93: { // STACK_GLOBAL
                    String name = (String) pop();
                    String module = (String) pop();
                    push(new PyGlobal(module, name));
                    break;
                }
                case 't': // TUPLE
                    push(new PyTuple(popMark()));
                    break;
                case 0x85: // TUPLE1
                    push(tuple(pop()));
                    break;
                case 0x86: { // TUPLE2
                    Object b = pop();
                    Object a = pop();
                    push(tuple(a, b));
                    break;
                }
                case 0x87: { // TUPLE3
                    Object c = pop();
                    Object b = pop();
                    Object a = pop();
                    push(tuple(a, b, c));
                    break;
                }
                case 'l': // LIST
                    push(new ArrayList<>(popMark()));
                    break;
                case 'd': { // DICT
                    List<Object> items = popMark();
                    Map<Object, Object> map = new LinkedHashMap<>();
                    for (int i = 0; i + 1 < items.size(); i += 2) {
                        map.put(items.get(i), items.get(i + 1));
                    }
                    push(map);
                    break;
                }
                case 'a': { // APPEND
                    Object v = pop();
                    asList(peek()).add(v);
                    break;
                }
                case 'e': { // APPENDS
                    List<Object> items = popMark();
                    asList(peek()).addAll(items);
                    break;
                }
                case 's': { // SETITEM
                    Object v = pop();
                    Object k = pop();
                    asMap(peek()).put(k, v);
                    break;
                }
                case 'u': { // SETITEMS
                    List<Object> items = popMark();
                    Map<Object, Object> map = asMap(peek());
                    for (int i = 0; i + 1 < items.size(); i += 2) {
                        map.put(items.get(i), items.get(i + 1));
                    }
                    break;
                }
                case 0x90: { // ADDITEMS
                    List<Object> items = popMark();
                    @SuppressWarnings("unchecked")
                    Set<Object> set = (Set<Object>) peek();
                    set.addAll(items);
                    break;
                }
                case 0x91: // FROZENSET
                    push(new LinkedHashSet<>(popMark()));
                    break;
                case '0': // POP
                    pop();
                    break;
                case '1': // POP_MARK
                    popMark();
                    break;
                case '2': // DUP
                    push(peek());
                    break;
                case 'R': { // REDUCE
                    Object args = pop();
                    Object callable = pop();
                    push(reduce(callable, args));
                    break;
                }
                case 0x81: { // NEWOBJ
                    Object args = pop();
                    Object cls = pop();
                    push(reduce(cls, args));
                    break;
                }
                case 0x92: { // NEWOBJ_EX
                    pop(); // kwargs
                    Object args = pop();
                    Object cls = pop();
                    push(reduce(cls, args));
                    break;
                }
                case 'o': { // OBJ
                    List<Object> items = popMark();
                    push(reduce(items.get(0), new PyTuple(items.subList(1, items.size()))));
                    break;
                }
                case 'i': { // INST
                    PyGlobal cls = new PyGlobal(readLine(), readLine());
                    push(reduce(cls, new PyTuple(popMark())));
                    break;
                }
                case 'b': { // BUILD
                    Object state = pop();
                    build(peek(), state);
                    break;
                }
                case 'Q': // BINPERSID
                    push(persistentLoad.apply(pop()));
                    break;
                case 'P': // PERSID
                    push(persistentLoad.apply(readLine()));
                    break;
                case 0x82: // EXT1
                case 0x83: // EXT2
                case 0x84: // EXT4
                    throw new IOException("pickle uses the extension registry (opcode 0x"
                            + Integer.toHexString(op) + "), which checkpoints never do");
                default:
                    throw new IOException("not a valid pickle: unknown opcode 0x"
                            + Integer.toHexString(op) + " at byte " + (in.position() - 1));
            }
        }
    }

    // ---- object construction ----

    private Object reduce(Object callable, Object args) throws IOException {
        if (!(callable instanceof PyGlobal g)) {
            throw new IOException("pickle calls a non-class object " + describe(callable));
        }
        List<Object> a = args instanceof PyTuple t ? t.items() : List.of();
        switch (g.fullName()) {
            case "collections.OrderedDict":
            case "builtins.dict":
            case "__builtin__.dict": {
                Map<Object, Object> map = new LinkedHashMap<>();
                if (!a.isEmpty() && a.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        List<Object> kv = p instanceof PyTuple pt ? pt.items() : asList(p);
                        map.put(kv.get(0), kv.get(1));
                    }
                }
                return map;
            }
            case "builtins.list":
            case "__builtin__.list":
                return a.isEmpty() ? new ArrayList<>() : new ArrayList<>(asList(a.get(0)));
            case "builtins.set":
            case "builtins.frozenset":
            case "__builtin__.set":
                return a.isEmpty() ? new LinkedHashSet<>() : new LinkedHashSet<>(asCollection(a.get(0)));
            case "builtins.tuple":
            case "__builtin__.tuple":
                return a.isEmpty() ? new PyTuple(List.of()) : new PyTuple(new ArrayList<>(asCollection(a.get(0))));
            case "builtins.bytearray":
            case "__builtin__.bytearray":
                return a.isEmpty() ? new byte[0] : a.get(0);
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_tensor":
                return TorchTensor.rebuild(a, false);
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state": {
                TorchTensor data = (TorchTensor) a.get(0);
                boolean requiresGrad = a.size() > 1 && Boolean.TRUE.equals(a.get(1));
                return data.asParameter(requiresGrad);
            }
            case "torch.device":
                return a.isEmpty() ? null : String.valueOf(a.get(0));
            case "numpy.core.multiarray.scalar":
            case "numpy._core.multiarray.scalar":
                return numpyScalar(a);
            default:
                return new PyObject(g, args);
        }
    }

    private static void build(Object target, Object state) {
        if (target instanceof PyObject obj) {
            obj.setState(state);
        }
        // OrderedDict state carries `_metadata` (module versions); tensors may carry hooks state.
        // Neither affects the values we read.
    }

    /** numpy scalars (e.g. a float64 {@code best_tol}) become Java numbers. */
    private static Object numpyScalar(List<Object> a) {
        if (a.size() < 2 || !(a.get(0) instanceof PyObject dtype) || !(a.get(1) instanceof byte[] raw)) {
            return new PyObject(new PyGlobal("numpy", "scalar"), new PyTuple(a));
        }
        String code = dtype.args() instanceof PyTuple t && t.size() > 0 ? String.valueOf(t.get(0)) : "";
        boolean big = dtype.state() instanceof PyTuple s && s.size() > 1 && ">".equals(s.get(1));
        ByteBuffer b = ByteBuffer.wrap(raw).order(big ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        switch (code) {
            case "f8": return b.getDouble();
            case "f4": return (double) b.getFloat();
            case "i8": return b.getLong();
            case "i4": return (long) b.getInt();
            case "i2": return (long) b.getShort();
            case "i1": return (long) b.get();
            case "u1": return (long) (b.get() & 0xff);
            case "b1": return b.get() != 0;
            default: return new PyObject(new PyGlobal("numpy", "scalar"), new PyTuple(a));
        }
    }

    // ---- stack helpers ----

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() throws IOException {
        if (stack.isEmpty()) {
            throw new IOException("not a valid pickle: stack underflow at byte " + in.position());
        }
        Object o = stack.remove(stack.size() - 1);
        if (o == MARK) {
            throw new IOException("not a valid pickle: unexpected mark at byte " + in.position());
        }
        return o;
    }

    private Object peek() throws IOException {
        if (stack.isEmpty()) {
            throw new IOException("not a valid pickle: empty stack at byte " + in.position());
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popMark() throws IOException {
        if (marks.isEmpty()) {
            throw new IOException("not a valid pickle: missing mark at byte " + in.position());
        }
        int m = marks.remove(marks.size() - 1);
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    private Object memoGet(long key) throws IOException {
        if (!memo.containsKey(key)) {
            throw new IOException("not a valid pickle: memo key " + key + " is undefined");
        }
        return memo.get(key);
    }

    private static PyTuple tuple(Object... items) {
        return new PyTuple(Arrays.asList(items));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> asList(Object o) throws IOException {
        if (o instanceof List<?>) {
            return (List<Object>) o;
        }
        if (o instanceof PyTuple t) {
            return t.items();
        }
        throw new IOException("not a valid pickle: expected a list, found " + describe(o));
    }

    @SuppressWarnings("unchecked")
    private static Collection<Object> asCollection(Object o) throws IOException {
        if (o instanceof Collection<?>) {
            return (Collection<Object>) o;
        }
        return asList(o);
    }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> asMap(Object o) throws IOException {
        if (o instanceof Map<?, ?>) {
            return (Map<Object, Object>) o;
        }
        if (o instanceof PyObject obj) {
            // SETITEMS on an object of an unknown dict subclass: keep the items as its state.
            if (!(obj.state() instanceof Map<?, ?>)) {
                obj.setState(new LinkedHashMap<>());
            }
            return (Map<Object, Object>) obj.state();
        }
        throw new IOException("not a valid pickle: expected a dict, found " + describe(o));
    }

    private static String describe(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }

    // ---- primitive readers ----

    private int readInt4() throws IOException {
        return in.read() | (in.read() << 8) | (in.read() << 16) | (in.read() << 24);
    }

    private long readUInt4() throws IOException {
        return readInt4() & 0xffffffffL;
    }

    private long readLong8() throws IOException {
        long lo = readUInt4();
        long hi = readUInt4();
        return lo | (hi << 32);
    }

    private String readLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != '\n') {
            sb.append((char) c);
        }
        if (sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
            sb.setLength(sb.length() - 1);
        }
        return sb.toString();
    }

    /** Little-endian two's complement, as LONG1/LONG4 store it. */
    static Object decodeLong(byte[] le) {
        if (le.length == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private static Object parseTextInt(String s) {
        if ("00".equals(s)) {
            return Boolean.FALSE;
        }
        if ("01".equals(s)) {
            return Boolean.TRUE;
        }
        return parseTextLong(s);
    }

    private static Object parseTextLong(String s) {
        if (s.endsWith("L")) {
            s = s.substring(0, s.length() - 1);
        }
        BigInteger v = new BigInteger(s.trim());
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private static String unquote(String s) {
        if (s.length() >= 2 && (s.charAt(0) == '\'' || s.charAt(0) == '"')) {
            return s.substring(1, s.length() - 1);
        }
        return s;
    }
}
