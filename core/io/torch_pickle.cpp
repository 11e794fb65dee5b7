// Why: see torch_pickle.h. Opcode meanings follow Python's pickletools documentation.
#include "io/torch_pickle.h"

#include <ATen/ATen.h>

#include <cstring>
#include <functional>

#include "io/zip_archive.h"

namespace mae {

namespace {

PickleRef make(PickleValue::Kind kind) {
  auto o = std::make_shared<PickleValue>();
  o->kind = kind;
  return o;
}

PickleRef make_string(std::string s, PickleValue::Kind kind = PickleValue::Kind::String) {
  auto o = make(kind);
  o->s = std::move(s);
  return o;
}

at::ScalarType storage_dtype(const std::string& type) {
  static const std::pair<const char*, at::ScalarType> kTypes[] = {
      {"FloatStorage", at::kFloat}, {"DoubleStorage", at::kDouble},
      {"HalfStorage", at::kHalf},   {"BFloat16Storage", at::kBFloat16},
      {"LongStorage", at::kLong},   {"IntStorage", at::kInt},
      {"ShortStorage", at::kShort}, {"CharStorage", at::kChar},
      {"ByteStorage", at::kByte},   {"BoolStorage", at::kBool}};
  for (const auto& [name, dtype] : kTypes)
    if (type.size() >= std::strlen(name) &&
        type.compare(type.size() - std::strlen(name), std::string::npos, name) == 0)
      return dtype;
  throw CheckpointError("unsupported storage type '" + type + "'");
}

using StorageLoader = std::function<at::Tensor(const std::string& key, at::ScalarType, int64_t)>;

class Unpickler {
 public:
  Unpickler(const std::vector<uint8_t>& bytes, StorageLoader loader)
      : p_(bytes), load_storage_(std::move(loader)) {}

  PickleRef run() {
    while (true) {
      const uint8_t op = byte();
      switch (op) {
        case 0x80:
          byte();
          break;  // PROTO
        case 0x95:
          take(8);
          break;  // FRAME
        case '.':
          return pop();  // STOP
        case '}':
          push(make(PickleValue::Kind::Dict));
          break;
        case ']':
          push(make(PickleValue::Kind::List));
          break;
        case ')':
          push(make(PickleValue::Kind::Tuple));
          break;
        case '(':
          marks_.push_back(stack_.size());
          break;
        case 'N':
          push(make(PickleValue::Kind::None));
          break;
        case 0x88:
        case 0x89: {
          auto b = make(PickleValue::Kind::Bool);
          b->i = op == 0x88;
          push(b);
          break;
        }
        case 'K':
          push_int(byte());
          break;
        case 'M':
          push_int(u16());
          break;
        case 'J':
          push_int(static_cast<int32_t>(u32()));
          break;
        case 0x8a:
          push_int(long1());
          break;
        case 'G': {
          uint64_t bits = 0;
          for (int i = 0; i < 8; ++i) bits = (bits << 8) | byte();
          auto f = make(PickleValue::Kind::Float);
          std::memcpy(&f->f, &bits, 8);
          push(f);
          break;
        }
        case 'X':
          push(make_string(str(u32())));
          break;
        case 0x8c:
          push(make_string(str(byte())));
          break;
        case 0x8d:
          push(make_string(str(u64())));
          break;
        case 'T':
          push(make_string(str(u32())));
          break;
        case 'U':
          push(make_string(str(byte())));
          break;
        case 'B':
          push(make_string(str(u32()), PickleValue::Kind::Bytes));
          break;
        case 'C':
          push(make_string(str(byte()), PickleValue::Kind::Bytes));
          break;
        case 'q':
          memo_[byte()] = top();
          break;
        case 'r':
          memo_[u32()] = top();
          break;
        case 0x94:
          memo_[static_cast<int64_t>(memo_.size())] = top();
          break;
        case 'h':
          push(memo_at(byte()));
          break;
        case 'j':
          push(memo_at(u32()));
          break;
        case 't': {
          auto t = make(PickleValue::Kind::Tuple);
          t->items = pop_mark();
          push(t);
          break;
        }
        case 0x85:
        case 0x86:
        case 0x87: {
          auto t = make(PickleValue::Kind::Tuple);
          t->items.resize(op - 0x84);
          for (auto it = t->items.rbegin(); it != t->items.rend(); ++it) *it = pop();
          push(t);
          break;
        }
        case 'a': {
          auto v = pop();
          top()->items.push_back(v);
          break;
        }
        case 'e': {
          auto v = pop_mark();
          auto l = top();
          l->items.insert(l->items.end(), v.begin(), v.end());
          break;
        }
        case 's': {
          auto v = pop();
          auto k = pop();
          top()->entries.emplace_back(k, v);
          break;
        }
        case 'u': {
          auto v = pop_mark();
          if (v.size() % 2) fail("odd SETITEMS");
          for (size_t i = 0; i < v.size(); i += 2) top()->entries.emplace_back(v[i], v[i + 1]);
          break;
        }
        case 'c': {
          auto module = line();
          auto name = line();
          push(make_string(module + "." + name, PickleValue::Kind::Global));
          break;
        }
        case 0x93: {
          auto name = pop();
          auto module = pop();
          push(make_string(module->s + "." + name->s, PickleValue::Kind::Global));
          break;
        }
        case 'R': {
          auto args = pop();
          auto callable = pop();
          push(reduce(callable, args));
          break;
        }
        case 0x81: {
          auto args = pop();
          auto cls = pop();
          push(placeholder(cls->s, args));
          break;
        }
        case 'b': {
          auto state = pop();
          auto obj = top();
          if (obj->kind == PickleValue::Kind::Object)
            obj->entries.emplace_back(make_string("__state__"), state);
          break;
        }
        case 'Q':
          push(persistent(pop()));
          break;
        default:
          fail("unsupported pickle opcode 0x" + hex(op));
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw CheckpointError("cannot read the pickle at byte " + std::to_string(pos_) + ": " + what);
  }
  static std::string hex(uint8_t b) {
    const char* digits = "0123456789abcdef";
    return {digits[b >> 4], digits[b & 15]};
  }
  const uint8_t* take(size_t n) {
    if (pos_ + n > p_.size()) fail("truncated");
    const uint8_t* at = &p_[pos_];
    pos_ += n;
    return at;
  }
  uint8_t byte() { return *take(1); }
  uint32_t u16() {
    auto b = take(2);
    return b[0] | (b[1] << 8);
  }
  uint32_t u32() {
    auto b = take(4);
    return uint32_t{b[0]} | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) | (uint32_t{b[3]} << 24);
  }
  uint64_t u64() {
    uint64_t lo = u32();
    uint64_t hi = u32();
    return lo | (hi << 32);
  }
  int64_t long1() {
    const uint8_t n = byte();
    if (n > 8) fail("integer too large");
    auto b = take(n);
    int64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | b[i];
    if (n > 0 && n < 8 && (b[n - 1] & 0x80)) v -= int64_t{1} << (8 * n);
    return v;
  }
  std::string str(uint64_t n) {
    auto b = take(n);
    return {reinterpret_cast<const char*>(b), n};
  }
  std::string line() {
    std::string s;
    while (true) {
      char c = static_cast<char>(byte());
      if (c == '\n') return s;
      s += c;
    }
  }
  void push(PickleRef v) { stack_.push_back(std::move(v)); }
  void push_int(int64_t v) {
    auto o = make(PickleValue::Kind::Int);
    o->i = v;
    push(o);
  }
  PickleRef pop() {
    if (stack_.empty()) fail("stack underflow");
    auto v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PickleRef top() {
    if (stack_.empty()) fail("stack underflow");
    return stack_.back();
  }
  PickleRef memo_at(int64_t k) {
    auto it = memo_.find(k);
    if (it == memo_.end()) fail("bad memo");
    return it->second;
  }
  std::vector<PickleRef> pop_mark() {
    if (marks_.empty()) fail("no mark");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PickleRef> out(stack_.begin() + static_cast<std::ptrdiff_t>(m), stack_.end());
    stack_.resize(m);
    return out;
  }
  static PickleRef placeholder(const std::string& cls, const PickleRef& args) {
    auto o = make(PickleValue::Kind::Object);
    o->s = cls;
    if (args) o->items = args->items;
    return o;
  }
  static std::vector<int64_t> ints(const PickleRef& tuple) {
    std::vector<int64_t> v;
    for (const auto& x : tuple->items) v.push_back(x->i);
    return v;
  }
  PickleRef reduce(const PickleRef& callable, const PickleRef& args) {
    const std::string& name = callable->s;
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor") {
      if (args->items.size() < 4 || args->items[0]->kind != PickleValue::Kind::Storage)
        fail("malformed tensor record");
      auto t = make(PickleValue::Kind::Tensor);
      t->tensor =
          args->items[0]
              ->tensor.as_strided(ints(args->items[2]), ints(args->items[3]), args->items[1]->i)
              .clone();
      return t;
    }
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state")
      return args->items.at(0);
    if (name == "collections.OrderedDict") return make(PickleValue::Kind::Dict);
    return placeholder(name, args);  // never called: an inert record of what it was
  }
  PickleRef persistent(const PickleRef& pid) {
    if (pid->kind != PickleValue::Kind::Tuple || pid->items.size() < 5 ||
        pid->items[0]->s != "storage")
      fail("unsupported persistent id");
    const auto dtype = storage_dtype(pid->items[1]->s);
    auto s = make(PickleValue::Kind::Storage);
    s->tensor = load_storage_(pid->items[2]->s, dtype, pid->items[4]->i);
    return s;
  }

  const std::vector<uint8_t>& p_;
  size_t pos_ = 0;
  StorageLoader load_storage_;
  std::vector<PickleRef> stack_;
  std::vector<size_t> marks_;
  std::map<int64_t, PickleRef> memo_;
};

// --- writer ---------------------------------------------------------------------------

class PickleWriter {
 public:
  void op(uint8_t b) { out.push_back(b); }
  void raw(const std::string& s) { out.insert(out.end(), s.begin(), s.end()); }
  void string(const std::string& s) {
    op('X');
    for (int i = 0; i < 4; ++i) op(static_cast<uint8_t>(s.size() >> (8 * i)));
    raw(s);
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      op(static_cast<uint8_t>(v));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      for (int i = 0; i < 4; ++i) op(static_cast<uint8_t>(static_cast<uint32_t>(v) >> (8 * i)));
    } else {
      op(0x8a);
      op(8);
      for (int i = 0; i < 8; ++i) op(static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i)));
    }
  }
  void global(const std::string& module, const std::string& name) {
    op('c');
    raw(module + "\n" + name + "\n");
  }
  void int_tuple(at::IntArrayRef values) {
    op('(');
    for (auto v : values) integer(v);
    op('t');
  }
  std::vector<uint8_t> out;
};

std::string storage_type_name(at::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return "FloatStorage";
    case at::kDouble:
      return "DoubleStorage";
    case at::kHalf:
      return "HalfStorage";
    case at::kBFloat16:
      return "BFloat16Storage";
    case at::kLong:
      return "LongStorage";
    default:
      throw CheckpointError(std::string("cannot write dtype ") + at::toString(type));
  }
}

std::string archive_prefix(const ZipReader& zip) {
  for (const auto& name : zip.names()) {
    const auto slash = name.find('/');
    if (slash != std::string::npos && name.compare(slash, std::string::npos, "/data.pkl") == 0)
      return name.substr(0, slash + 1);
  }
  throw CheckpointError("the archive holds no data.pkl: not a torch.save file");
}

}  // namespace

PickleRef load_torch_archive(const std::string& path) {
  ZipReader zip(path);
  const std::string prefix = archive_prefix(zip);
  const auto pickle = zip.read(prefix + "data.pkl");
  Unpickler unpickler(pickle, [&](const std::string& key, at::ScalarType dtype, int64_t numel) {
    const auto bytes = zip.read(prefix + "data/" + key);
    const auto expected = static_cast<size_t>(numel) * at::elementSize(dtype);
    if (bytes.size() < expected) throw CheckpointError("storage '" + key + "' is truncated");
    auto t = at::empty({numel}, at::TensorOptions().dtype(dtype));
    if (expected > 0) std::memcpy(t.data_ptr(), bytes.data(), expected);
    return t;
  });
  try {
    return unpickler.run();
  } catch (const CheckpointError& e) {
    throw CheckpointError("'" + path + "': " + e.what());
  }
}

NamedTensors state_dict_of(const PickleRef& root, std::string* found_under) {
  if (!root || root->kind != PickleValue::Kind::Dict)
    throw CheckpointError("the file does not hold a dict (found a different Python object)");
  PickleRef dict = root;
  *found_under = "";
  for (const char* key : {"model", "state_dict", "model_state"}) {
    for (const auto& [k, v] : root->entries)
      if (k->kind == PickleValue::Kind::String && k->s == key &&
          v->kind == PickleValue::Kind::Dict) {
        dict = v;
        *found_under = key;
      }
    if (!found_under->empty()) break;
  }
  NamedTensors out;
  for (const auto& [k, v] : dict->entries)
    if (k->kind == PickleValue::Kind::String && v->kind == PickleValue::Kind::Tensor)
      out.emplace_back(k->s, v->tensor);
  if (out.empty()) throw CheckpointError("no tensors found in the file's state dict");
  return out;
}

std::string root_string(const PickleRef& root, const std::string& key) {
  if (!root || root->kind != PickleValue::Kind::Dict) return "";
  for (const auto& [k, v] : root->entries)
    if (k->kind == PickleValue::Kind::String && k->s == key && v->kind == PickleValue::Kind::String)
      return v->s;
  return "";
}

void save_torch_state_dict(const std::string& path, const NamedTensors& tensors,
                           const std::string& extra_key, const std::string& extra_value) {
  PickleWriter w;
  w.op(0x80);
  w.op(2);
  w.op('}');
  w.string("model");
  w.op('}');
  w.op('(');
  std::vector<ZipRecord> records;
  const std::string prefix = "archive/";
  for (size_t i = 0; i < tensors.size(); ++i) {
    const auto& [name, tensor] = tensors[i];
    auto t = tensor.detach().to(at::kCPU).contiguous();
    const std::string key = std::to_string(i);
    w.string(name);
    w.global("torch._utils", "_rebuild_tensor_v2");
    w.op('(');
    w.op('(');  // persistent id
    w.string("storage");
    w.global("torch", storage_type_name(t.scalar_type()));
    w.string(key);
    w.string("cpu");
    w.integer(t.numel());
    w.op('t');
    w.op('Q');
    w.integer(0);
    w.int_tuple(t.sizes());
    w.int_tuple(t.strides());
    w.op(0x89);  // requires_grad False
    w.global("collections", "OrderedDict");
    w.op(')');
    w.op('R');
    w.op('t');
    w.op('R');
    const auto* data = static_cast<const uint8_t*>(t.data_ptr());
    records.push_back(
        {prefix + "data/" + key, std::vector<uint8_t>(data, data + t.numel() * t.element_size())});
  }
  w.op('u');
  w.op('s');
  if (!extra_key.empty()) {
    w.string(extra_key);
    w.string(extra_value);
    w.op('s');
  }
  w.op('.');
  records.insert(records.begin(), ZipRecord{prefix + "data.pkl", w.out});
  records.push_back({prefix + "byteorder", {'l', 'i', 't', 't', 'l', 'e'}});
  records.push_back({prefix + "version", {'3', '\n'}});
  write_zip(path, records);
}

}  // namespace mae
